//! Writing the XML documents of replies and notices: escaping, unrepresentable characters and
//! the `signValue` element.
//!
//! Every document is a flat run of `<tag>text</tag>` elements (the order query nests one level),
//! each element always present, empty when there is nothing to say. The signature of a run of
//! elements is computed over the texts exactly as the document shows them, so a merchant who
//! reads the elements back and signs them gets the same value.

use crate::oceanpayment::sign::sign;
use quick_xml::escape::escape;
use std::borrow::Cow;

/// The declaration every document starts with.
pub(crate) const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// The element that carries the signature of its siblings.
pub(crate) const SIGN_VALUE: &str = "signValue";

/// Room for the declaration, the tags and a signature, so one allocation usually suffices.
const FIXED_CAPACITY: usize = 1024;

/// A whole document: the declaration, then `root` holding `elements` signed over `signed`.
pub(crate) fn signed_document(
    root: &str,
    elements: &[(&str, &str)],
    signed: &[&str],
    secure_code: &str,
) -> String {
    let mut xml = with_capacity_for(elements);
    xml.push_str(DECLARATION);
    push_open(&mut xml, root);
    push_signed_elements(&mut xml, elements, signed, secure_code);
    push_close(&mut xml, root);
    xml
}

/// An empty `String` with room for a document holding `elements`.
pub(crate) fn with_capacity_for(elements: &[(&str, &str)]) -> String {
    let text_length: usize = elements.iter().map(|(_, text)| text.len()).sum();
    String::with_capacity(FIXED_CAPACITY + text_length)
}

/// Appends `elements` in order, the `signValue` one holding the signature over the texts of
/// the elements named in `signed`, in that order; empty when `secure_code` is empty (the
/// terminal, and so its secure code, is unknown).
///
/// Characters XML 1.0 cannot carry are replaced by U+FFFD before signing (see [`carried`]).
pub(crate) fn push_signed_elements(
    xml: &mut String,
    elements: &[(&str, &str)],
    signed: &[&str],
    secure_code: &str,
) {
    debug_assert!(elements.iter().any(|(tag, _)| *tag == SIGN_VALUE));
    debug_assert!(signed
        .iter()
        .all(|name| elements.iter().any(|(tag, _)| tag == name)));
    let texts: Vec<(&str, Cow<'_, str>)> = elements
        .iter()
        .map(|(tag, text)| (*tag, carried(text)))
        .collect();
    let sign_value = if secure_code.is_empty() {
        String::new()
    } else {
        let parts: Vec<&str> = signed
            .iter()
            .map(|name| {
                texts
                    .iter()
                    .find(|(tag, _)| tag == name)
                    .map_or("", |(_, text)| text.as_ref())
            })
            .collect();
        sign(&parts, secure_code)
    };
    for (tag, text) in &texts {
        let text = if *tag == SIGN_VALUE {
            sign_value.as_str()
        } else {
            text.as_ref()
        };
        push_element(xml, tag, text);
    }
}

/// Appends `<tag>text</tag>`, the text escaped and made representable.
pub(crate) fn push_element(xml: &mut String, tag: &str, text: &str) {
    push_open(xml, tag);
    push_text(xml, &carried(text));
    push_close(xml, tag);
}

/// Appends `<tag>`.
pub(crate) fn push_open(xml: &mut String, tag: &str) {
    xml.push('<');
    xml.push_str(tag);
    xml.push('>');
}

/// Appends `</tag>`.
pub(crate) fn push_close(xml: &mut String, tag: &str) {
    xml.push_str("</");
    xml.push_str(tag);
    xml.push('>');
}

/// The text with every character XML 1.0 cannot hold (most C0 controls, U+FFFE, U+FFFF)
/// replaced by U+FFFD. Such characters only reach an encoder through echoes of refused
/// requests; replacing them keeps the document well-formed.
pub(crate) fn carried(text: &str) -> Cow<'_, str> {
    if text.chars().all(xml_can_carry) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if xml_can_carry(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// Whether XML 1.0 can hold the character, literally or as a character reference.
fn xml_can_carry(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Appends escaped text. A carriage return is written as a character reference because XML
/// parsers turn a literal one into a line feed, and the merchant would then verify the
/// signature over different text than was signed.
fn push_text(xml: &mut String, text: &str) {
    let mut lines = text.split('\r');
    if let Some(first) = lines.next() {
        xml.push_str(&escape(first));
    }
    for line in lines {
        xml.push_str("&#13;");
        xml.push_str(&escape(line));
    }
}

/// Reading documents back the way a merchant's XML library would, for the encoders' tests.
#[cfg(test)]
pub(crate) mod read {
    use crate::oceanpayment::sign::{sign, verify};
    use quick_xml::events::Event;
    use quick_xml::Reader;

    /// One element with its text and child elements.
    #[derive(Debug, Default)]
    pub(crate) struct Node {
        pub(crate) name: String,
        pub(crate) text: String,
        pub(crate) children: Vec<Node>,
    }

    impl Node {
        /// The text of the first child called `name`; panics when there is none.
        pub(crate) fn text_of(&self, name: &str) -> &str {
            &self
                .children
                .iter()
                .find(|child| child.name == name)
                .unwrap_or_else(|| panic!("no <{name}> in <{}>", self.name))
                .text
        }

        /// Every child called `name`, in document order.
        pub(crate) fn all(&self, name: &str) -> Vec<&Node> {
            self.children
                .iter()
                .filter(|child| child.name == name)
                .collect()
        }

        /// The child element names, in document order.
        pub(crate) fn tags(&self) -> Vec<&str> {
            self.children
                .iter()
                .map(|child| child.name.as_str())
                .collect()
        }

        /// Verifies `signValue` as merchant code does: recompute over `fields` read from the
        /// children (absent ones empty), compare upper-cased, and through [`verify`].
        pub(crate) fn signature_verifies(&self, fields: &[&str], secure_code: &str) -> bool {
            let values: Vec<&str> = fields
                .iter()
                .map(|name| {
                    self.children
                        .iter()
                        .find(|child| child.name == *name)
                        .map_or("", |child| child.text.as_str())
                })
                .collect();
            let received = self.text_of("signValue").to_uppercase();
            received == sign(&values, secure_code) && verify(&received, &values, secure_code)
        }
    }

    /// The root element of a well-formed document; panics on anything else.
    pub(crate) fn parse(xml: &str) -> Node {
        let mut reader = Reader::from_str(xml);
        let mut open: Vec<Node> = vec![Node::default()];
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(start) => open.push(Node {
                    name: String::from_utf8(start.name().as_ref().to_vec()).expect("UTF-8 tag"),
                    ..Node::default()
                }),
                Event::Empty(empty) => {
                    let node = Node {
                        name: String::from_utf8(empty.name().as_ref().to_vec()).expect("UTF-8 tag"),
                        ..Node::default()
                    };
                    open.last_mut().expect("a parent").children.push(node);
                }
                Event::Text(text) => {
                    let text = text.unescape().expect("valid escapes");
                    open.last_mut().expect("a parent").text.push_str(&text);
                }
                Event::End(_) => {
                    let node = open.pop().expect("an open element");
                    open.last_mut().expect("a parent").children.push(node);
                }
                Event::Eof => break,
                Event::CData(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => {}
            }
        }
        let mut document = open.pop().expect("the document");
        assert!(open.is_empty(), "unclosed elements");
        assert_eq!(document.children.len(), 1, "exactly one root element");
        document.children.remove(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oceanpayment::sign::verify;

    #[test]
    fn signs_the_texts_the_document_shows() {
        let xml = signed_document(
            "response",
            &[
                ("account", "1"),
                ("signValue", ""),
                ("note", "a&b\r\n<c>\u{1}"),
            ],
            &["account", "note"],
            "k",
        );
        let root = read::parse(&xml);
        assert_eq!(root.name, "response");
        assert_eq!(root.tags(), ["account", "signValue", "note"]);
        assert_eq!(root.text_of("note"), "a&b\r\n<c>\u{FFFD}");
        assert!(root.signature_verifies(&["account", "note"], "k"));
        assert!(!xml.contains('\r'));
    }

    #[test]
    fn without_a_secure_code_the_signature_is_empty() {
        let xml = signed_document("r", &[("a", "1"), ("signValue", "")], &["a"], "");
        assert!(xml.ends_with("<r><a>1</a><signValue></signValue></r>"));
        assert!(xml.starts_with(DECLARATION));
    }

    #[test]
    fn a_signature_covers_the_listed_fields_in_list_order() {
        let xml = signed_document(
            "r",
            &[("b", "2"), ("a", "1"), ("signValue", "")],
            &["a", "b"],
            "k",
        );
        let root = read::parse(&xml);
        assert!(verify(root.text_of("signValue"), &["1", "2"], "k"));
    }
}
