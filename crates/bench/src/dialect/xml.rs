//! Reading flat XML replies (`<root><a>text</a><b></b>…</root>`) without allocating: every
//! reply of a run passes through here, on the same two cores as the gateway being measured.

use std::borrow::Cow;

/// Most child elements kept; Oceanpayment's pay reply has 28.
const MAX_ELEMENTS: usize = 48;

/// The child elements of a flat document's root, as `(tag, raw text)` in document order.
pub(crate) struct Elements<'a> {
    /// The first `len` entries are filled.
    items: [(&'a str, &'a str); MAX_ELEMENTS],
    /// How many entries are filled.
    len: usize,
}

impl<'a> Elements<'a> {
    /// The children of `<root>` in `xml`, or `None` when the document is not a flat `root`
    /// element (nested elements, unbalanced tags, too many children).
    pub(crate) fn parse(xml: &'a str, root: &str) -> Option<Elements<'a>> {
        let mut rest = skip_prolog(xml);
        rest = rest
            .strip_prefix('<')?
            .strip_prefix(root)?
            .strip_prefix('>')?;
        let mut elements = Elements {
            items: [("", ""); MAX_ELEMENTS],
            len: 0,
        };
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix("</") {
                let after = after.strip_prefix(root)?.strip_prefix('>')?;
                return after.trim().is_empty().then_some(elements);
            }
            let (tag_end, after_open) = rest.strip_prefix('<')?.split_once('>')?;
            let (tag, text, after) = if let Some(tag) = tag_end.strip_suffix('/') {
                (tag.trim_end(), "", after_open)
            } else {
                let (text, after_text) = after_open.split_once("</")?;
                if text.contains('<') {
                    return None;
                }
                let after = after_text.strip_prefix(tag_end)?.strip_prefix('>')?;
                (tag_end, text, after)
            };
            *elements.items.get_mut(elements.len)? = (tag, text);
            elements.len += 1;
            rest = after;
        }
    }

    /// The raw (still escaped) text of the first element named `tag`.
    pub(crate) fn raw(&self, tag: &str) -> Option<&'a str> {
        self.items[..self.len]
            .iter()
            .find(|(name, _)| *name == tag)
            .map(|(_, text)| *text)
    }

    /// The text of `tag` with entities decoded; absent elements read as empty, as a merchant's
    /// plugin reads them.
    pub(crate) fn text(&self, tag: &str) -> Cow<'a, str> {
        unescape(self.raw(tag).unwrap_or(""))
    }
}

/// `xml` after the declaration and any whitespace or comments before the root.
fn skip_prolog(mut xml: &str) -> &str {
    loop {
        xml = xml.trim_start();
        if let Some(rest) = xml.strip_prefix("<?") {
            match rest.split_once("?>") {
                Some((_, after)) => xml = after,
                None => return xml,
            }
        } else if let Some(rest) = xml.strip_prefix("<!--") {
            match rest.split_once("-->") {
                Some((_, after)) => xml = after,
                None => return xml,
            }
        } else {
            return xml;
        }
    }
}

/// Decodes the five named entities and numeric character references; text without `&` (all
/// of the benchmark's own values) is returned as it is.
pub(crate) fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once('&') {
        decoded.push_str(before);
        let Some((entity, after_entity)) = after.split_once(';') else {
            decoded.push('&');
            rest = after;
            continue;
        };
        let character = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        if let Some(character) = character {
            decoded.push(character);
            rest = after_entity;
        } else {
            decoded.push('&');
            rest = after;
        }
    }
    decoded.push_str(rest);
    Cow::Owned(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_children_in_order_including_empty_ones() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><response><a>1</a><b></b><c/>
            <d>x &amp; y&#13;</d></response>"#;
        let elements = Elements::parse(xml, "response").expect("flat document");
        assert_eq!(elements.raw("a"), Some("1"));
        assert_eq!(elements.raw("b"), Some(""));
        assert_eq!(elements.raw("c"), Some(""));
        assert_eq!(elements.text("d"), "x & y\r");
        assert_eq!(elements.text("missing"), "");
    }

    #[test]
    fn refuses_what_is_not_a_flat_document() {
        assert!(Elements::parse("<response><a><b>1</b></a></response>", "response").is_none());
        assert!(Elements::parse("<response><a>1</b></response>", "response").is_none());
        assert!(Elements::parse("<other><a>1</a></other>", "response").is_none());
        assert!(Elements::parse("<response><a>1</a>", "response").is_none());
        assert!(Elements::parse("<response></response>trailing", "response").is_none());
    }

    #[test]
    fn unescapes_named_and_numeric_references_and_keeps_stray_ampersands() {
        assert_eq!(unescape("&lt;b&gt; &quot;&apos; &#65;&#x42;"), "<b> \"' AB");
        assert_eq!(unescape("fish & chips"), "fish & chips");
        assert_eq!(unescape("&bogus; &#xZZ;"), "&bogus; &#xZZ;");
    }
}
