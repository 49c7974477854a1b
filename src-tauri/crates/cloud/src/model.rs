//! What the API models share: string enums that keep values they do not know (a state IBM
//! adds tomorrow must not make today's client fail to read a response), and paging.

use std::{collections::HashSet, future::Future};

use url::Url;

use crate::error::CloudError;

/// An enum over the string values an API documents, plus `Unknown(String)` for any other,
/// kept verbatim so it can be shown and sent back. Serializes to and from the string.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of Onramp does not know.
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                Ok($name::from(text.as_str()))
            }
        }
    };
}
pub(crate) use open_enum;

/// The `start` token in a next-page link, whether the link is absolute (VPC, IAM) or a
/// bare path (Resource Controller's `next_url`). Only the token is taken: the next request
/// is built on our own base URL, so a link naming another host never receives our token.
pub(crate) fn start_token(link: &str) -> Option<String> {
    let base = Url::parse("http://next.invalid/").ok()?;
    let url = base.join(link).ok()?;
    url.query_pairs()
        .find(|(name, _)| name == "start")
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty())
}

/// A next/first link of VPC and IAM collections: `{"href": …}`, where IAM also gives the
/// token itself as `start`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PageLink {
    pub href: Option<String>,
    pub start: Option<String>,
}

impl PageLink {
    pub fn start_token(&self) -> Option<String> {
        self.start
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| self.href.as_deref().and_then(start_token))
    }
}

/// A guard against a server that pages forever: far more than any account here needs.
pub(crate) const MAX_PAGES: usize = 500;

/// Calls `fetch` with each page's start token (none for the first) until a page has no
/// next token, and returns every item. A token seen twice is an error, not a loop.
pub(crate) async fn collect_pages<T, F, Fut>(
    service: &str,
    mut fetch: F,
) -> Result<Vec<T>, CloudError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), CloudError>>,
{
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    let mut start = None;
    for _ in 0..MAX_PAGES {
        let (items, next) = fetch(start.take()).await?;
        all.extend(items);
        let Some(token) = next else {
            return Ok(all);
        };
        if !seen.insert(token.clone()) {
            return Err(CloudError::decode(
                service,
                "it returned the same next-page token twice",
                None,
            ));
        }
        start = Some(token);
    }
    Err(CloudError::decode(
        service,
        format!("it returned more than {MAX_PAGES} pages"),
        None,
    ))
}

/// Reads a field documented as a string but seen as an object in some samples (a routing
/// target's `reason_for_last_failure`): a string is kept, anything else as its JSON text,
/// so the reason is still shown instead of the whole response failing to read.
pub(crate) fn text_or_json<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = <Option<serde_json::Value> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    })
}

/// Appends the pairs whose value is present to `url`'s query.
pub(crate) fn with_query(mut url: Url, pairs: &[(&str, Option<&str>)]) -> Url {
    if pairs.iter().any(|(_, value)| value.is_some()) {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    open_enum! {
        enum Colour { Red = "red", DarkBlue = "dark blue" }
    }

    #[test]
    fn open_enums_keep_unknown_values() {
        let parsed: Vec<Colour> =
            serde_json::from_str(r#"["red","dark blue","ultraviolet"]"#).unwrap();
        assert_eq!(
            parsed,
            vec![
                Colour::Red,
                Colour::DarkBlue,
                Colour::Unknown("ultraviolet".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            r#"["red","dark blue","ultraviolet"]"#
        );
    }

    #[test]
    fn start_tokens_come_from_relative_and_absolute_links() {
        assert_eq!(
            start_token("/v2/resource_instances?limit=1&start=g1AAA%3D").as_deref(),
            Some("g1AAA=")
        );
        assert_eq!(
            start_token("https://ca-mon.iaas.cloud.ibm.com/v1/vpcs?limit=50&start=r058-abc")
                .as_deref(),
            Some("r058-abc")
        );
        assert_eq!(start_token("/v2/resource_instances?limit=1"), None);
        assert_eq!(start_token("/v2/resource_instances?start="), None);
    }

    #[tokio::test]
    async fn paging_stops_on_a_repeated_token() {
        let result = collect_pages("test", |_start| async {
            Ok((vec![1], Some("same".to_owned())))
        })
        .await;
        assert!(result.is_err());

        let mut pages = vec![(vec![3], None), (vec![1, 2], Some("b".to_owned()))];
        let all = collect_pages("test", |_start| {
            let page = pages.pop();
            async move { page.ok_or_else(|| CloudError::config("no more pages")) }
        })
        .await
        .unwrap();
        assert_eq!(all, vec![1, 2, 3]);
    }
}
