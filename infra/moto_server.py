"""moto_server serving one request at a time, with DynamoDB transactions made affordable.

moto's in-memory backends are not thread-safe: under concurrent requests its
TransactWriteItems deep-copies a table for rollback while another request changes it and
answers 500 "dictionary changed size during iteration" (measured here with 16 concurrent
transactional writes, moto 5.2.5). Real DynamoDB has no such race, so the emulator, not the
code under test, is made sequential: same server, same arguments, threaded=False.

The same rollback copy is made once per *item* of a transaction (a 100-item transaction
copies its table 100 times), and a copy includes every record the table's stream ever held
(moto never trims them; each carries the item's images, transcripts included). With streams on,
a test of a few hundred calls slowed from ~75 s to ~250 s. Two emulator-only fixes keep the
semantics: each table is copied once per transaction, and the copy shares the stream shard
instead of duplicating its history (a rolled-back transaction may leave its stream records in
place, which only means an extra cache invalidation locally).
"""

import copy
import types

import moto.dynamodb.models as dynamodb_models
import moto.server
from moto.dynamodb.models.table import Table
from werkzeug.serving import run_simple


def _one_request_at_a_time(*args, **kwargs):
    kwargs["threaded"] = False
    return run_simple(*args, **kwargs)


def _copy_without_stream_history(self, memo):
    cls = self.__class__
    clone = cls.__new__(cls)
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        if name == "stream_shard":
            setattr(clone, name, value)
        else:
            setattr(clone, name, copy.deepcopy(value, memo))
    return clone


_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_copying_each_table_once(self, transact_items):
    copies = {}

    def deepcopy_once(value, *args, **kwargs):
        if isinstance(value, Table):
            if id(value) not in copies:
                copies[id(value)] = copy.deepcopy(value)
            return copies[id(value)]
        return copy.deepcopy(value, *args, **kwargs)

    # Requests are served one at a time, so swapping the module's `copy` is not racy.
    dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy_once)
    try:
        return _transact_write_items(self, transact_items)
    finally:
        dynamodb_models.copy = copy


moto.server.run_simple = _one_request_at_a_time
Table.__deepcopy__ = _copy_without_stream_history
dynamodb_models.DynamoDBBackend.transact_write_items = _transact_copying_each_table_once

if __name__ == "__main__":
    moto.server.main()
