//! `callscope openapi`: the whole HTTP API's OpenAPI document. The committed openapi.json is
//! this document, printed.

/// Prints the document as the committed openapi.json holds it.
pub fn print() -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(&callscope_query::openapi())?
    );
    Ok(())
}
