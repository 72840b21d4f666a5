//! Field rules shared by the order-management requests (query, refund, void).
//!
//! Lengths count Unicode characters, not bytes. Identifiers and merchant references are
//! "printable": no control character at all (C0, DEL or C1), nor U+FFFE or U+FFFF. Free text
//! may also hold tab, CR and LF. Values are echoed in XML replies and log lines, and XML cannot
//! carry most control characters.

use crate::oceanpayment::form::Form;
use tidegate_core::{ErrorKind, Field, GatewayError};

/// The length limit of any field an endpoint does not interpret.
pub(crate) const MAX_OTHER_FIELD: usize = 2000;

/// The fields every signed request carries and [`Credentials::from_form`] checks.
///
/// [`Credentials::from_form`]: crate::oceanpayment::pay::Credentials::from_form
pub(crate) const CREDENTIAL_FIELDS: [&str; 3] = ["account", "terminal", "signValue"];

/// A required field of 1 to `limit` ASCII digits: missing, too long, then not digits.
pub(crate) fn digits<'a>(
    form: &'a Form,
    name: &str,
    field: Field,
    limit: usize,
) -> Result<&'a str, GatewayError> {
    let value = required(form, name, field)?;
    if exceeds(value, limit) {
        return Err(GatewayError::at(ErrorKind::FieldTooLong(field), name));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GatewayError::at(ErrorKind::InvalidFormat(field), name));
    }
    Ok(value)
}

/// The value of a field that must be present and non-empty.
pub(crate) fn required<'a>(
    form: &'a Form,
    name: &str,
    field: Field,
) -> Result<&'a str, GatewayError> {
    let value = form.value(name);
    if value.is_empty() {
        return Err(GatewayError::at(ErrorKind::MissingField(field), name));
    }
    Ok(value)
}

/// At most `limit` characters and no control characters at all.
pub(crate) fn check_printable(
    name: &str,
    value: &str,
    field: Field,
    limit: usize,
) -> Result<(), GatewayError> {
    if exceeds(value, limit) {
        return Err(GatewayError::at(ErrorKind::FieldTooLong(field), name));
    }
    if !is_printable(value) {
        return Err(GatewayError::at(ErrorKind::InvalidFormat(field), name));
    }
    Ok(())
}

/// At most `limit` characters; tab, CR and LF are the only ASCII controls allowed.
pub(crate) fn check_free_text(
    name: &str,
    value: &str,
    field: Field,
    limit: usize,
) -> Result<(), GatewayError> {
    if exceeds(value, limit) {
        return Err(GatewayError::at(ErrorKind::FieldTooLong(field), name));
    }
    let forbidden =
        |c: char| (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')) || is_noncharacter(c);
    if value.chars().any(forbidden) {
        return Err(GatewayError::at(ErrorKind::InvalidFormat(field), name));
    }
    Ok(())
}

/// Every field not in `interpreted` nor a credential, in the order sent, as free text of at
/// most [`MAX_OTHER_FIELD`] characters.
pub(crate) fn check_other_fields(form: &Form, interpreted: &[&str]) -> Result<(), GatewayError> {
    let others = form
        .iter()
        .filter(|(name, _)| !CREDENTIAL_FIELDS.contains(name) && !interpreted.contains(name));
    for (name, value) in others {
        check_free_text(name, value, Field::Other, MAX_OTHER_FIELD)?;
    }
    Ok(())
}

/// True when the text holds no control character nor anything XML cannot write.
pub(crate) fn is_printable(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() || is_noncharacter(c))
}

/// True when `value` has more than `limit` characters; the byte length answers most cases.
pub(crate) fn exceeds(value: &str, limit: usize) -> bool {
    value.len() > limit && value.chars().count() > limit
}

/// XML 1.0 has no way to write U+FFFE or U+FFFF, even as a character reference.
fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters() {
        assert!(!exceeds("商品", 2));
        assert!(exceeds("商品x", 2));
    }

    #[test]
    fn printable_refuses_every_control_character() {
        for text in ["a\tb", "a\nb", "\u{7f}", "\u{85}", "\u{FFFE}"] {
            assert!(!is_printable(text), "{text:?}");
        }
        assert!(is_printable("ORD-1 商品 #2"));
    }

    #[test]
    fn free_text_allows_tabs_and_line_breaks_only() {
        assert!(check_free_text("n", "a\tb\r\nc", Field::Other, 10).is_ok());
        assert_eq!(
            check_free_text("n", "a\u{0}", Field::Other, 10),
            Err(GatewayError::at(
                ErrorKind::InvalidFormat(Field::Other),
                "n"
            ))
        );
        assert_eq!(
            check_free_text("n", "abc", Field::Other, 2),
            Err(GatewayError::at(ErrorKind::FieldTooLong(Field::Other), "n"))
        );
    }
}
