//! `callscope openapi`: the one place the whole HTTP API's OpenAPI document is built, from the
//! query function's routes and ingest's, so neither function depends on the other for it. The
//! committed openapi.json is this document, printed.

/// The query routes' document with ingest's merged in. A merge keeps what the document already
/// has (a path's operation, a schema, a tag of the same name) and appends the rest, so the
/// query function's info, tags and security scheme lead, as in the committed openapi.json.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = callscope_query::openapi();
    document.merge(callscope_ingest::openapi());
    document
}

/// Prints [`document`] as the committed openapi.json holds it.
pub fn print() -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&document())?);
    Ok(())
}
