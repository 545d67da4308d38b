//! The module dependency graph stays what ARCHITECTURE.md says: every `crate::` path in the
//! library (`src/` but the binary's `src/cli` and `src/main.rs`) is checked against the table
//! under "## Module dependencies". A row lists what a module may use: a whole module (`store`)
//! or only a part of one (`forecast::skill`). The table names every module, allows nothing
//! that is not used, and has no cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → what it may use.
type Graph = BTreeMap<String, Vec<String>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The table under `## Module dependencies`: rows `| \`module\` | \`a\`, \`b::c\` | why |`
/// (`—` for nothing).
fn graph(architecture: &str) -> Graph {
    let section = architecture
        .split("\n## Module dependencies")
        .nth(1)
        .expect("ARCHITECTURE.md has a section `## Module dependencies`");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut out = Graph::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let ticked = |cell: &str| -> Vec<String> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        let module = ticked(cells[1]).pop().expect("a module name");
        let uses = ticked(cells[2]);
        assert!(
            out.insert(module.clone(), uses).is_none(),
            "ARCHITECTURE.md: `{module}` has two rows"
        );
    }
    out
}

/// The source with comments, string and char literals blanked (kept as spaces, so that
/// offsets and line numbers stay).
fn code_only(source: &str) -> String {
    let b: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    blank(&mut out, b[i]);
                    i += 1;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    blank(&mut out, b[i]);
                    i += 1;
                    if depth == 0 {
                        blank(&mut out, b[i]);
                        i += 1;
                        break;
                    }
                }
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !is_ident(b[i - 1]))
            && raw_string_end(&b, i).is_some()
        {
            let end = raw_string_end(&b, i).unwrap_or(b.len());
            while i < end {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            if i < b.len() {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == '\'' && char_literal_end(&b, i).is_some() {
            let end = char_literal_end(&b, i).unwrap_or(i + 1);
            while i < end {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The end (exclusive) of a raw string `r#"…"#` starting at `i`.
fn raw_string_end(b: &[char], i: usize) -> Option<usize> {
    let hashes = b[i + 1..].iter().take_while(|c| **c == '#').count();
    let open = i + 1 + hashes;
    if b.get(open) != Some(&'"') {
        return None;
    }
    let mut j = open + 1;
    while j < b.len() {
        if b[j] == '"'
            && b[j + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(b.len())
}

/// The end (exclusive) of a char literal at `i` (`'x'`, `'\n'`, `'\u{1F}'`); `None` for a
/// lifetime.
fn char_literal_end(b: &[char], i: usize) -> Option<usize> {
    match b.get(i + 1)? {
        '\\' => (i + 3..b.len().min(i + 12))
            .find(|&j| b[j] == '\'')
            .map(|j| j + 1),
        _ if b.get(i + 2) == Some(&'\'') => Some(i + 3),
        _ => None,
    }
}

/// The paths a `crate::` path at `at` (just after `crate::`) names: `a::b`, or each item of a
/// group `a::{b, c::d}`.
fn paths_at(code: &[char], at: usize) -> Vec<String> {
    let mut i = at;
    let mut prefix = Vec::new();
    loop {
        let start = i;
        while i < code.len() && is_ident(code[i]) {
            i += 1;
        }
        if i == start {
            break;
        }
        prefix.push(code[start..i].iter().collect::<String>());
        if code.get(i) == Some(&':') && code.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            return vec![prefix.join("::")];
        }
    }
    if code.get(i) != Some(&'{') {
        return vec![prefix.join("::")];
    }
    // A group: its items at nesting level one, each a path of its own.
    let (mut depth, mut item, mut out) = (0, String::new(), Vec::new());
    for &c in &code[i..] {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 || (depth == 1 && c == ',') {
            let first: String = item
                .trim_start_matches('{')
                .trim()
                .split(|c: char| !(is_ident(c) || c == ':'))
                .next()
                .unwrap_or("")
                .trim_end_matches(':')
                .to_string();
            match first.as_str() {
                "" | "self" => out.push(prefix.join("::")),
                name => out.push(format!("{}::{name}", prefix.join("::"))),
            }
            item.clear();
            if depth == 0 {
                break;
            }
        } else {
            item.push(c);
        }
    }
    out
}

/// Every `crate::` path in `source` with its line, and every `super::` chain that climbs out
/// of the file's top-level module (`depth` modules deep: 1 for `src/x.rs` and `src/x/mod.rs`).
fn crate_paths(source: &str, depth: usize) -> Vec<(usize, String)> {
    let code: Vec<char> = code_only(source).chars().collect();
    let starts = |i: usize, word: &str| {
        word.chars()
            .enumerate()
            .all(|(k, c)| code.get(i + k) == Some(&c))
    };
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) add a level for `super`.
    let mut inline: Vec<usize> = Vec::new();
    let (mut braces, mut line) = (0usize, 1);
    let mut i = 0;
    while i < code.len() {
        let boundary = i == 0 || !is_ident(code[i - 1]) && code[i - 1] != ':';
        match code[i] {
            '\n' => line += 1,
            '{' => braces += 1,
            '}' => {
                if inline.last() == Some(&braces) {
                    inline.pop();
                }
                braces = braces.saturating_sub(1);
            }
            _ if boundary && starts(i, "mod ") => {
                let rest: String = code[i + 4..].iter().take(80).collect();
                let name_end = rest.find(|c: char| !is_ident(c)).unwrap_or(0);
                if rest[name_end..].trim_start().starts_with('{') {
                    inline.push(braces + 1);
                }
            }
            _ if boundary && starts(i, "crate::") => {
                out.extend(paths_at(&code, i + 7).into_iter().map(|p| (line, p)));
                i += 7;
                continue;
            }
            _ if boundary && starts(i, "super::") => {
                let mut supers = 0;
                while starts(i, "super::") {
                    supers += 1;
                    i += 7;
                }
                if supers >= depth + inline.len() {
                    out.extend(paths_at(&code, i).into_iter().map(|p| (line, p)));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether `path` (e.g. `store::StationId`) is allowed by `uses`.
fn allowed(uses: &[String], path: &str) -> bool {
    uses.iter().any(|u| {
        let top = !u.contains("::");
        let module = path.split("::").next().unwrap_or("");
        (top && module == u) || path == u || path.starts_with(&format!("{u}::"))
    })
}

/// The library's top-level modules and their files with their depth below `src/`.
fn modules(src: &Path) -> BTreeMap<String, Vec<(PathBuf, usize)>> {
    let mut out: BTreeMap<String, Vec<(PathBuf, usize)>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if ["lib", "main", "cli"].contains(&name.as_str()) {
            continue;
        }
        let files = out.entry(name).or_default();
        if path.is_dir() {
            let mut stack = vec![path];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        let rel = p.strip_prefix(src).unwrap();
                        let parts = rel.components().count();
                        // src/x/mod.rs is module x (depth 1); src/x/y.rs is x::y (depth 2).
                        let depth = if p.file_name().is_some_and(|n| n == "mod.rs") {
                            parts - 1
                        } else {
                            parts
                        };
                        files.push((p, depth));
                    }
                }
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            files.push((path, 1));
        }
    }
    out
}

/// The violations of `graph` in `module`'s `source` (file `name`), and the allowances used.
fn check(
    graph: &Graph,
    module: &str,
    name: &str,
    source: &str,
    depth: usize,
    used: &mut BTreeSet<(String, String)>,
) -> Vec<String> {
    let uses = &graph[module];
    let mut out = Vec::new();
    for (line, path) in crate_paths(source, depth) {
        let target = path.split("::").next().unwrap_or("").to_string();
        if target == module || !graph.contains_key(&target) {
            continue;
        }
        match uses
            .iter()
            .find(|u| allowed(std::slice::from_ref(u), &path))
        {
            Some(u) => {
                used.insert((module.to_string(), u.clone()));
            }
            None => out.push(format!(
                "{name}:{line}: `{module}` uses crate::{path}, which its row in \
                 ARCHITECTURE.md (## Module dependencies) does not allow"
            )),
        }
    }
    out
}

#[test]
fn module_dependencies_follow_the_graph() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let graph = graph(&architecture);
    let src = root().join("src");
    let modules = modules(&src);

    let named: BTreeSet<&String> = graph.keys().collect();
    let found: BTreeSet<&String> = modules.keys().collect();
    assert_eq!(
        named, found,
        "ARCHITECTURE.md (## Module dependencies) must have one row per module of src/"
    );

    let mut violations = Vec::new();
    let mut used = BTreeSet::new();
    for (module, files) in &modules {
        for (path, depth) in files {
            let source = std::fs::read_to_string(path).unwrap();
            let name = path.strip_prefix(root()).unwrap().display().to_string();
            violations.extend(check(&graph, module, &name, &source, *depth, &mut used));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));

    let unused: Vec<String> = graph
        .iter()
        .flat_map(|(m, uses)| uses.iter().map(move |u| (m.clone(), u.clone())))
        .filter(|edge| !used.contains(edge))
        .map(|(m, u)| format!("`{m}` may use `{u}` but does not: remove it from the table"))
        .collect();
    assert!(unused.is_empty(), "{}", unused.join("\n"));

    if let Some(cycle) = cycle(&graph) {
        panic!("ARCHITECTURE.md (## Module dependencies) has a cycle: {cycle}");
    }
}

/// A cycle of the graph's modules, if any (depth-first search for a back edge).
fn cycle(graph: &Graph) -> Option<String> {
    fn visit<'a>(
        graph: &'a Graph,
        m: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(k) = path.iter().position(|x| *x == m) {
            return Some(format!("{} -> {m}", path[k..].join(" -> ")));
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for u in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(graph, u.split("::").next().unwrap_or(u), path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

#[test]
fn the_check_sees_what_the_graph_does_not_allow() {
    let graph = graph(
        "# A\n\n## Module dependencies\n\n| module | may use |\n|---|---|\n\
         | `store` | `units` |\n| `report` | `store`, `forecast::skill` |\n| `units` | — |\n\
         | `forecast` | `store` |\n\n## Next\n",
    );
    assert_eq!(graph["report"], ["store", "forecast::skill"]);
    assert!(graph["units"].is_empty());
    let source = r#"
//! Docs may name crate::forecast::issue freely.
use crate::forecast::{skill::daily_skill, issue::BEYOND_SKILL};
use crate::store::{self, Store};
const S: &str = "crate::forecast::model";
const C: char = '"';
fn f<'a>(x: &'a str) -> &'a str { let _ = crate::forecast::model::train; x }
mod tests {
    use super::*;
}
"#;
    let mut used = BTreeSet::new();
    let v = check(&graph, "report", "src/report/x.rs", source, 2, &mut used);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].contains("src/report/x.rs:3:") && v[0].contains("crate::forecast::issue"));
    assert!(v[1].contains(":7:") && v[1].contains("crate::forecast::model::train"));
    assert!(used.contains(&("report".into(), "forecast::skill".into())));
    assert!(used.contains(&("report".into(), "store".into())));
    // `super::` leaving the top-level module counts as a crate path.
    let v = check(
        &graph,
        "units",
        "src/units.rs",
        "use super::forecast::X;\nmod tests { use super::*; }",
        1,
        &mut used,
    );
    assert_eq!(v.len(), 1, "{v:?}");

    assert_eq!(cycle(&graph), None);
    let mut looped = graph.clone();
    looped.insert("store".into(), vec!["units".into(), "report".into()]);
    assert_eq!(cycle(&looped).as_deref(), Some("store -> report -> store"));
}
