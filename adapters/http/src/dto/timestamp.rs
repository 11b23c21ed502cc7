//! Timestamps on the wire: RFC 3339, UTC, always `Z`, at most 6 fractional digits.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// A point in time as the API writes it, e.g. `2026-03-01T10:20:30.123456Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The wire form.
    pub fn format(&self) -> String {
        self.0
            .trunc_subsecs(6)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => DateTime::parse_from_rfc3339(&s)
                .map(|t| Timestamp(t.with_timezone(&Utc)))
                .map_err(|e| ParseError::custom(e.to_string())),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.format()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(nanos: u32) -> Timestamp {
        let t = Utc
            .with_ymd_and_hms(2026, 3, 1, 10, 20, 30)
            .single()
            .expect("valid date");
        Timestamp(t + chrono::TimeDelta::nanoseconds(i64::from(nanos)))
    }

    #[test]
    fn rfc3339_utc_z_at_most_micros() {
        assert_eq!(at(0).format(), "2026-03-01T10:20:30Z");
        assert_eq!(at(123_456_000).format(), "2026-03-01T10:20:30.123456Z");
        assert_eq!(at(123_456_789).format(), "2026-03-01T10:20:30.123456Z");
        assert_eq!(at(120_000_000).format(), "2026-03-01T10:20:30.120Z");
    }
}
