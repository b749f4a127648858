"""moto_server serving one request at a time.

moto's in-memory backends are not thread-safe: under concurrent requests its
TransactWriteItems deep-copies a table for rollback while another request changes it and
answers 500 "dictionary changed size during iteration" (measured here with 16 concurrent
transactional writes, moto 5.2.5). Real DynamoDB has no such race, so the emulator, not the
code under test, is made sequential: same server, same arguments, threaded=False.
"""

import moto.server
from werkzeug.serving import run_simple


def _one_request_at_a_time(*args, **kwargs):
    kwargs["threaded"] = False
    return run_simple(*args, **kwargs)


moto.server.run_simple = _one_request_at_a_time

if __name__ == "__main__":
    moto.server.main()
