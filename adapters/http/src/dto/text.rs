//! A strict JSON string for request bodies: poem-openapi's `String` also accepts numbers
//! and booleans, but a wrong type must be an invalid body (API §1.1).

use std::borrow::Cow;

use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// A string that was a JSON string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl Text {
    /// The string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        String::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Text(s)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_strings() {
        assert_eq!(
            Text::parse_from_json(Some(Value::String("a".into()))).ok(),
            Some(Text("a".into()))
        );
        assert!(Text::parse_from_json(Some(serde_json::json!(5))).is_err());
        assert!(Text::parse_from_json(Some(Value::Bool(true))).is_err());
        assert!(Text::parse_from_json(None).is_err());
        assert!(Option::<Text>::parse_from_json(Some(Value::Null)).is_ok());
    }
}
