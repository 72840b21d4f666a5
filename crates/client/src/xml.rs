//! Reading the gateway's XML documents: a root element holding flat `<tag>text</tag>`
//! children, nested one level at most (the order query's `<paymentInfo>`).

use quick_xml::events::Event;
use quick_xml::Reader;

/// One element: its name, its text and its child elements in document order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The text of the first child called `name`, if there is one.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|child| child.name == name)
            .map(|child| child.text.as_str())
    }

    /// The text of the first child called `name`; empty when absent, as signatures count it.
    pub(crate) fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// The texts of the children `names`, in that order, absent ones empty: ready for signing.
    pub(crate) fn values(&self, names: &[&str]) -> Vec<&str> {
        names.iter().map(|name| self.value(name)).collect()
    }

    /// Every child called `name`, in document order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }
}

/// The root element of `document`, or why it is not a well-formed document.
///
/// Character and entity references are resolved, so `&#13;` (how the gateway writes a carriage
/// return, which a parser would otherwise turn into a line feed) reads back as `\r` and the
/// signature is checked over the text that was signed.
pub(crate) fn parse(document: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(document);
    let mut open: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader.read_event().map_err(|error| error.to_string())?;
        match event {
            Event::Start(start) => open.push(Element {
                name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(empty) => {
                let element = Element {
                    name: String::from_utf8_lossy(empty.name().as_ref()).into_owned(),
                    ..Element::default()
                };
                parent(&mut open)?.children.push(element);
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|error| error.to_string())?;
                parent(&mut open)?.text.push_str(&text);
            }
            Event::CData(data) => {
                let text = String::from_utf8_lossy(&data).into_owned();
                parent(&mut open)?.text.push_str(&text);
            }
            Event::End(_) => {
                let element = open.pop().ok_or("unbalanced end tag")?;
                parent(&mut open)?.children.push(element);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    let mut document = open.pop().ok_or("unbalanced end tag")?;
    if !open.is_empty() {
        return Err("an element is not closed".into());
    }
    let root_count = document.children.len();
    if root_count != 1 {
        return Err(format!("expected one root element, found {root_count}"));
    }
    Ok(document.children.remove(0))
}

fn parent(open: &mut [Element]) -> Result<&mut Element, String> {
    open.last_mut()
        .ok_or_else(|| "unbalanced end tag".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flat_and_nested_elements_with_escapes() {
        let root = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?><response><a>1 &amp; 2</a><b/><c>x&#13;
y</c><info><d>4</d></info><info><d>5</d></info></response>"#,
        )
        .expect("well-formed");
        assert_eq!(root.name, "response");
        assert_eq!(root.value("a"), "1 & 2");
        assert_eq!(root.get("b"), Some(""));
        assert_eq!(root.value("c"), "x\r\ny");
        assert_eq!(root.value("missing"), "");
        let infos: Vec<&str> = root.all("info").map(|info| info.value("d")).collect();
        assert_eq!(infos, ["4", "5"]);
        assert_eq!(root.values(&["a", "missing", "b"]), ["1 & 2", "", ""]);
    }

    #[test]
    fn refuses_what_is_not_one_well_formed_document() {
        assert!(parse("<html><body>502 Bad Gateway</body>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("plain text").is_err());
        assert!(parse("<a>&bogus;</a>").is_err());
    }
}
