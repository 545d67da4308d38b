//! The well-formedness check of the reports' XHTML-compatible output ([`check_well_formed`]),
//! without an XML dependency.

/// Error of [`check_well_formed`]: what is wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not well-formed at byte {offset}: {what}")]
pub struct NotWellFormed {
    /// Byte offset in the document.
    pub offset: usize,
    /// What is wrong.
    pub what: String,
}

/// Checks that an XHTML-compatible document is well-formed: every element closed in order,
/// attributes quoted, no stray `<` or `&` in text (entities are `&name;` or `&#…;`), and one
/// root element. Comments, the doctype and the contents of `<style>`/`<script>` are skipped.
/// This is the check the tests apply to every report (no XML dependency needed).
pub fn check_well_formed(doc: &str) -> Result<(), NotWellFormed> {
    let err = |offset: usize, what: String| Err(NotWellFormed { offset, what });
    let b = doc.as_bytes();
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let rest = &doc[i..];
                if rest.starts_with("<!--") {
                    match rest.find("-->") {
                        Some(end) => i += end + 3,
                        None => return err(i, "unterminated comment".into()),
                    }
                    continue;
                }
                if rest.starts_with("<!") || rest.starts_with("<?") {
                    match rest.find('>') {
                        Some(end) => i += end + 1,
                        None => return err(i, "unterminated declaration".into()),
                    }
                    continue;
                }
                let closing = rest.starts_with("</");
                let name_start = i + if closing { 2 } else { 1 };
                let name_len = doc[name_start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
                    .unwrap_or(0);
                if name_len == 0 {
                    return err(i, "`<` without a tag name".into());
                }
                let name = &doc[name_start..name_start + name_len];
                // Scan the tag up to its `>`, honouring quoted attribute values.
                let mut j = name_start + name_len;
                let mut quote: Option<u8> = None;
                loop {
                    let Some(&c) = b.get(j) else {
                        return err(i, format!("unterminated tag <{name}"));
                    };
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), b'<') => return err(j, "`<` inside an attribute".into()),
                        (Some(_), _) => {}
                        (None, b'"' | b'\'') => quote = Some(c),
                        (None, b'>') => break,
                        (None, b'<') => return err(j, format!("`<` inside tag <{name}")),
                        (None, b'=') if !matches!(b.get(j + 1), Some(b'"' | b'\'')) => {
                            return err(j, format!("unquoted attribute in <{name}"));
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let self_closing = b[j - 1] == b'/';
                if closing {
                    match stack.pop() {
                        Some(open) if open == name => {}
                        Some(open) => {
                            return err(i, format!("</{name}> closes <{open}>"));
                        }
                        None => return err(i, format!("</{name}> without an open element")),
                    }
                } else if !self_closing {
                    if stack.is_empty() {
                        roots += 1;
                        if roots > 1 {
                            return err(i, "more than one root element".into());
                        }
                    }
                    stack.push(name);
                    if name == "style" || name == "script" {
                        let end_tag = format!("</{name}>");
                        match doc[j..].find(&end_tag) {
                            Some(k) => {
                                stack.pop();
                                i = j + k + end_tag.len();
                                continue;
                            }
                            None => return err(i, format!("unterminated <{name}>")),
                        }
                    }
                } else if stack.is_empty() {
                    roots += 1;
                }
                i = j + 1;
            }
            b'&' => {
                let rest = &doc[i + 1..];
                let end = rest.find(';').filter(|&e| e <= 10);
                let ok = end.is_some_and(|e| {
                    let ent = &rest[..e];
                    !ent.is_empty()
                        && (ent.bytes().all(|c| c.is_ascii_alphanumeric())
                            || (ent.starts_with('#')
                                && ent.len() > 1
                                && ent[1..].bytes().all(|c| c.is_ascii_hexdigit() || c == b'x')))
                });
                if !ok {
                    return err(i, "bare `&` (not an entity)".into());
                }
                i += 1;
            }
            c => {
                if !stack.is_empty() || c.is_ascii_whitespace() {
                    i += 1;
                } else {
                    return err(i, "text outside the root element".into());
                }
            }
        }
    }
    if let Some(open) = stack.pop() {
        return err(doc.len(), format!("<{open}> is never closed"));
    }
    if roots != 1 {
        return err(0, "no root element".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checker_finds_errors() {
        let bad = [
            "<html><p></html>",
            "<html><p>a</b></html>",
            "<html>a & b</html>",
            "<html><p class=x>a</p></html>",
            "<html></html><html></html>",
            "<html><p>",
        ];
        for doc in bad {
            assert!(check_well_formed(doc).is_err(), "{doc}");
        }
        check_well_formed("<!DOCTYPE html><html><br /><p a=\"<\"/></html>").unwrap_err();
        check_well_formed("<!DOCTYPE html>\n<html><br /><p a=\"x\">&amp;&#39;</p></html>\n")
            .unwrap();
    }
}
