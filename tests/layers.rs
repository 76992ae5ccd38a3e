//! The engine's house rule of docs/design.md, checked on the source text: the engine modules
//! (everything outside the `learn` feature) never refer to the learning side, so
//! `diffhep = { default-features = false }` builds; and the learning modules import each other
//! only downwards (nn ← optim, flows ← fab, sbi (which may use optim) ← pivot, neos), so there is
//! no cycle.

use std::path::{Path, PathBuf};

const LEARN: [&str; 7] = ["nn", "optim", "flows", "fab", "sbi", "pivot", "neos"];

/// Learning modules and the learning modules each may use.
const LEARN_LAYERS: [(&str, &[&str]); 7] = [
    ("nn", &[]),
    ("optim", &["nn"]),
    ("flows", &["nn"]),
    ("fab", &["nn", "flows"]),
    ("sbi", &["nn", "flows", "optim"]),
    ("pivot", &["nn", "sbi"]),
    ("neos", &["nn", "sbi"]),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// `crate::<module>` references in code outside comments and outside test modules.
fn references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(") && t.contains("test") {
            if let Some(next) = lines.peek() {
                if next.trim_start().starts_with("mod tests") {
                    break; // the rest of the file is its test module
                }
            }
        }
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + 7..];
            found.push(
                tail.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
            rest = tail;
        }
    }
    found
}

#[test]
fn the_engine_does_not_use_the_learning_side() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if LEARN.contains(&stem.as_str()) || stem == "lib" {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        for f in files {
            if f.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            for r in references(&std::fs::read_to_string(&f).unwrap()) {
                if LEARN.contains(&r.as_str()) {
                    violations.push(format!("{} uses crate::{r}", f.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn learning_modules_import_downwards_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for (module, allowed) in LEARN_LAYERS {
        // A module is a folder or a single file.
        let mut files = Vec::new();
        rust_files(&src.join(module), &mut files);
        rust_files(&src.join(format!("{module}.rs")), &mut files);
        assert!(!files.is_empty(), "{module} has no source");
        for f in files {
            for r in references(&std::fs::read_to_string(&f).unwrap()) {
                if r != module && LEARN.contains(&r.as_str()) && !allowed.contains(&r.as_str()) {
                    violations.push(format!("{} uses crate::{r}", f.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_reference_scanner_skips_comments_and_test_modules() {
    let text = "use crate::nn::Adam; // crate::sbi\nfn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::optim;\n}\n";
    assert_eq!(references(text), vec!["nn".to_string()]);
}
