//! The house rules of docs/design.md, checked on the source text: each folder of the physics
//! crate imports only the folders of lower layers (so there is no import cycle), and every
//! folder's module doc says what belongs there and what it may import.

use std::path::{Path, PathBuf};

/// Each top-level module of `physics/src` and the modules it may refer to (`crate::…`).
const LAYERS: [(&str, &[&str]); 8] = [
    ("lorentz", &[]),
    ("phase_space", &["lorentz"]),
    ("collider", &["lorentz", "phase_space"]),
    ("integrate", &["lorentz", "phase_space", "collider"]),
    (
        "events",
        &["lorentz", "phase_space", "collider", "integrate"],
    ),
    ("detector", &["lorentz"]),
    ("design", &["lorentz", "detector"]),
    (
        "targets",
        &[
            "lorentz",
            "phase_space",
            "collider",
            "integrate",
            "events",
            "detector",
            "design",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::<module>` references in the code (comments and doc comments left out).
fn references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + 7..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
            rest = tail;
        }
    }
    found
}

#[test]
fn no_folder_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let names: Vec<&str> = LAYERS.iter().map(|(n, _)| *n).collect();
    let mut violations = Vec::new();
    for (module, allowed) in LAYERS {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        assert!(!files.is_empty(), "module {module} has no source");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for r in references(&text) {
                if r != module && names.contains(&r.as_str()) && !allowed.contains(&r.as_str()) {
                    violations.push(format!("{} uses crate::{r}", f.display()));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn every_folder_says_what_it_holds_and_may_import() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (module, _) in LAYERS {
        let m = src.join(module).join("mod.rs");
        if !m.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&m).unwrap();
        let doc: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            doc.contains("holds") && doc.contains("may import"),
            "{module}/mod.rs: the module doc must say what the folder holds and what it may import"
        );
    }
}

#[test]
fn the_reference_scanner_finds_crate_paths() {
    let r = references(
        "use crate::collider::sm; // crate::targets\nlet x = crate::lorentz::FourVector::new;",
    );
    assert_eq!(r, vec!["collider".to_string(), "lorentz".to_string()]);
}
