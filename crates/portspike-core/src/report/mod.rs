//! Report, schema v1 (`portspike.report/1`): its types ([`schema`]), the
//! names it gives kinds and metrics ([`kinds`]), and how the analyzer's
//! counts become one (`build`, inside the crate).

pub(crate) mod build;
pub mod kinds;
pub mod problems;
pub mod schema;

pub use kinds::{Metric, Probe, ScanKind, ScanMethod, SpikeKind, Tool};
pub use problems::ProblemCode;
pub use schema::*;

/// `text` read as JSON of type `T`, or an error in words that names the
/// field it is in (`capture.first_ts: invalid type: null, expected i64`),
/// for JSON from outside (a link, a file's metadata).
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if field == "." || field.is_empty() {
            inner.to_string()
        } else {
            format!("field {field}: {inner}")
        }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

#[cfg(test)]
mod json_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_bad_value_is_named_by_its_field() {
        let r = crate::analyze_bytes(&crate::fixture::incident(), crate::Params::default());
        let mut v = serde_json::to_value(&r).unwrap();
        v["capture"]["first_ts"] = serde_json::Value::Null;
        v["capture"]["packets"] = serde_json::Value::Null;
        let e = from_json::<Report>(&v.to_string()).unwrap_err();
        assert!(e.starts_with("field capture."), "{e}");
        assert!(e.contains("invalid type: null"), "{e}");
        let back: Report = from_json(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back.ports.len(), r.ports.len());
        assert!(from_json::<Report>("{} x").is_err());
    }
}
