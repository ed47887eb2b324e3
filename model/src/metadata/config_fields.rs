//! The field names a component's config type reads, so runtimes can test that their `.connect`
//! definitions and their code declare the same fields (no drift either way).

use serde::de::{DeserializeOwned, Visitor};

/// The field names a derived `Deserialize` struct asks for, captured from `deserialize_struct`.
/// Panics for types that are not plain structs (an enum, `#[serde(flatten)]`): a test helper.
pub fn config_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut captured = None;
    let _ = T::deserialize(FieldCapture(&mut captured));
    captured.expect("config types are plain structs (no flatten)")
}

struct FieldCapture<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldCapture<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("fields captured"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Example {
        url: String,
        #[serde(default, rename = "max")]
        limit: u32,
    }

    #[test]
    fn captures_the_names_serde_reads() {
        assert_eq!(super::config_fields::<Example>(), ["url", "max"]);
    }
}
