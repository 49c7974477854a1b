//! What every piece of text from the window must be before Onramp uses it: within a size,
//! without NUL, control characters or the bidirectional overrides that make text read
//! differently from what it is. The specific rules of each field (a role name, a VPC name)
//! come after these, in their own modules.

use crate::{AppError, ErrorCode};

/// The longest file path the window may send.
pub const PATH_MAX_BYTES: usize = 4096;

/// Characters that reorder how text is displayed (U+202A–U+202E, U+2066–U+2069, the marks
/// U+200E/U+200F and U+061C): a name holding one can show as another name.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The first character that has no place in a one-line name, and what it is, in words.
pub fn odd_character(text: &str) -> Option<String> {
    text.chars().find_map(|c| {
        if c == '\0' {
            Some("a NUL character".to_owned())
        } else if c.is_control() {
            Some(format!("the control character U+{:04X}", c as u32))
        } else if is_bidi_control(c) {
            Some(format!(
                "the text-direction control U+{:04X}, which makes a name display as another",
                c as u32
            ))
        } else {
            None
        }
    })
}

/// A one-line value of at most `max_bytes`, at `field`.
pub fn check_line(field: &str, what: &str, text: &str, max_bytes: usize) -> Result<(), AppError> {
    let at = |m: String| Err(AppError::new(ErrorCode::InvalidInput, m).at(field));
    if text.len() > max_bytes {
        return at(format!(
            "The {what} is {} bytes long; at most {max_bytes} are allowed.",
            text.len()
        ));
    }
    match odd_character(text) {
        Some(odd) => at(format!("The {what} contains {odd}.")),
        None => Ok(()),
    }
}

/// A file path from the window: at most [`PATH_MAX_BYTES`], without NUL or control
/// characters.
pub fn check_path(field: &str, path: &str) -> Result<(), AppError> {
    check_line(field, "file path", path, PATH_MAX_BYTES)
}

/// An id Resource Controller gave a key (a GUID): hexadecimal digits and hyphens.
pub fn check_guid(guid: &str) -> Result<(), AppError> {
    let ok = !guid.is_empty()
        && guid.len() <= 64
        && guid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidInput,
            "That is not the id of a credential (hexadecimal digits and hyphens).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_controls_and_direction_overrides_are_named() {
        assert!(check_line("f", "name", "plain name", 63).is_ok());
        for (text, says) in [
            ("a\0b", "NUL"),
            ("a\nb", "U+000A"),
            ("admin\u{202E}nimda", "U+202E"),
            ("x\u{2066}", "U+2066"),
        ] {
            let e = check_line("f", "name", text, 63).unwrap_err();
            assert!(e.message.contains(says), "{text:?}: {}", e.message);
            assert_eq!(e.field.as_deref(), Some("f"));
        }
        let big = "x".repeat(10 * 1024 * 1024);
        assert!(check_line("f", "name", &big, 63)
            .unwrap_err()
            .message
            .contains("bytes"));
        assert!(check_path("p", &big).is_err());
    }

    #[test]
    fn guids_are_hex_and_hyphens() {
        assert!(check_guid("d0388c96-d138-41b1-b45f-1039c73ea6c7").is_ok());
        for bad in ["", "../x", "a b", &"a".repeat(65)] {
            assert!(check_guid(bad).is_err(), "{bad:?}");
        }
    }
}
