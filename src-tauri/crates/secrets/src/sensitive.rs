//! A wrapper for secret values: `Debug` and `Display` print a fixed placeholder, it does not
//! implement `Serialize`, and the inner value is wiped from memory when dropped.

use std::fmt;

use zeroize::Zeroize;

/// A secret value. The only way to read it is [`Sensitive::expose`], which makes every use
/// visible in review. Deserializing is allowed (a secret arrives from the user or a file),
/// serializing is not: there is deliberately no `Serialize` impl.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The secret itself, for the one call that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Sensitive(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Sensitive(value.to_owned())
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl<T: Zeroize> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de, T: Zeroize + serde::Deserialize<'de>> serde::Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Sensitive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "AbCdEf0123456789-secret_value_that_must_not_leak";

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Sensitive::from(SECRET);
        let debug = format!("{secret:?}");
        let display = format!("{secret}");
        let nested = format!("{:?}", Some(vec![secret.clone()]));
        for shown in [debug, display, nested] {
            assert!(!shown.contains(SECRET), "leaked in {shown}");
            assert!(
                !shown.contains("secret_value"),
                "partially leaked in {shown}"
            );
        }
    }

    #[test]
    fn expose_returns_the_value() {
        assert_eq!(Sensitive::from(SECRET).expose(), SECRET);
    }

    #[test]
    fn deserializes_from_a_plain_string() {
        let secret: Sensitive<String> = serde_json::from_str(&format!("\"{SECRET}\"")).unwrap();
        assert_eq!(secret.expose(), SECRET);
    }

    #[test]
    fn a_struct_holding_a_secret_debugs_without_it() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Login {
            user: String,
            password: Sensitive<String>,
        }
        let login = Login {
            user: "ada".into(),
            password: SECRET.into(),
        };
        let shown = format!("{login:?}");
        assert!(shown.contains("ada"));
        assert!(!shown.contains(SECRET));
    }
}
