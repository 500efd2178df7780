//! Adding a model from a GGUF file, as an agent does from a USB key: the real SmolLM2 file is
//! copied into a models folder of its own, refused when the checksum, the file or the name is
//! wrong (leaving the folder and manifest untouched), and loaded and run once accepted.

mod common;

use std::path::{Path, PathBuf};

use vigie_engine::integrity::{ChecksumCache, sha256_file};
use vigie_engine::llm::{ChatMessage, GenerationRequest, LoadOptions, SinkControl, load_verified};
use vigie_engine::model_import::{
    ModelImportError, ModelImportProgress, ModelImportRequest, import_gguf,
};
use vigie_engine::registry::{ModelRegistry, ModelRole};

const SMOLLM2_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

fn smollm2_file() -> PathBuf {
    common::models_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// A models folder holding only a copy of the shipped manifest (no weights).
fn empty_models_dir(dir: &Path) -> PathBuf {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).expect("models dir");
    std::fs::copy(
        common::models_dir().join("manifest.toml"),
        models.join("manifest.toml"),
    )
    .expect("manifest");
    models
}

/// The file to import, under a name of its own (as found on a USB key).
fn usb_copy(dir: &Path) -> PathBuf {
    let usb = dir.join("usb");
    std::fs::create_dir_all(&usb).expect("usb dir");
    let file = usb.join("petit-modele.gguf");
    std::fs::copy(smollm2_file(), &file).expect("copy");
    file
}

fn request<'a>(file: &'a Path, name: &'a str, sha256: Option<&'a str>) -> ModelImportRequest<'a> {
    ModelImportRequest {
        file,
        name,
        expected_sha256: sha256,
        tokenizer: None,
        licence: "Apache-2.0",
        source: "clé USB".into(),
        make_default: true,
    }
}

/// Everything in the folder, with contents, to compare before and after a refused import.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("read"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_wrong_checksum_installs_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let models = empty_models_dir(dir.path());
    let file = usb_copy(dir.path());
    let before = snapshot(&models);
    let wrong = "0".repeat(64);
    let error = import_gguf(&models, &request(&file, "petit", Some(&wrong)), &mut |_| {
        true
    })
    .expect_err("a wrong checksum is refused");
    match &error {
        ModelImportError::ChecksumMismatch { expected, actual } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, SMOLLM2_SHA256);
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(error.message_fr().contains("Rien n'a été installé"));
    assert_eq!(
        snapshot(&models),
        before,
        "no file, no .part, same manifest"
    );
}

#[test]
fn a_truncated_file_and_a_taken_name_are_refused_before_any_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let models = empty_models_dir(dir.path());
    let before = snapshot(&models);

    let truncated = dir.path().join("tronque.gguf");
    let bytes = std::fs::read(smollm2_file()).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).expect("write");
    let error = import_gguf(&models, &request(&truncated, "tronque", None), &mut |_| {
        true
    })
    .expect_err("a truncated GGUF is refused");
    assert!(
        matches!(error, ModelImportError::NotUsable { .. }),
        "{error:?}"
    );
    assert!(
        error
            .message_fr()
            .contains("n'est pas un modèle GGUF utilisable")
    );

    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "ceci n'est pas un modèle").expect("write");
    assert!(matches!(
        import_gguf(&models, &request(&text, "notes", None), &mut |_| true),
        Err(ModelImportError::NotUsable { .. })
    ));

    let file = usb_copy(dir.path());
    let error = import_gguf(&models, &request(&file, "smollm2", None), &mut |_| true)
        .expect_err("the name is taken");
    assert!(matches!(error, ModelImportError::NameTaken(_)));
    assert!(matches!(
        import_gguf(&models, &request(&file, "../evil", None), &mut |_| true),
        Err(ModelImportError::InvalidName(_))
    ));
    assert!(matches!(
        import_gguf(&models, &request(&file, "petit", Some("abc")), &mut |_| {
            true
        }),
        Err(ModelImportError::InvalidChecksum(_))
    ));
    // Cancelled half way: nothing stays behind.
    let error = import_gguf(&models, &request(&file, "petit", None), &mut |p| {
        p.done < p.total / 2
    })
    .expect_err("cancelled");
    assert!(matches!(error, ModelImportError::Cancelled));
    assert_eq!(snapshot(&models), before);
}

#[test]
fn an_accepted_model_is_listed_verified_and_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let models = empty_models_dir(dir.path());
    let file = usb_copy(dir.path());
    let mut steps: Vec<ModelImportProgress> = Vec::new();
    let imported = import_gguf(
        &models,
        &request(&file, "petit", Some(&SMOLLM2_SHA256.to_uppercase())),
        &mut |p| {
            steps.push(p);
            true
        },
    )
    .expect("imported");
    assert!(imported.checksum_verified);
    assert_eq!(imported.sha256, SMOLLM2_SHA256);
    assert_eq!(imported.architecture, "llama");
    let size = std::fs::metadata(&file).expect("size").len();
    assert_eq!(imported.bytes, size);
    let last = steps.last().expect("progress reported");
    assert_eq!((last.done, last.total), (size, size));
    assert!(steps.windows(2).all(|w| w[0].done < w[1].done));
    assert_eq!(sha256_file(&imported.path).expect("hash"), SMOLLM2_SHA256);

    // The manifest still parses, lists the new model and makes it the default.
    let registry = ModelRegistry::open(&models).expect("manifest");
    let entry = registry.get("petit").expect("listed");
    assert_eq!(entry.role, ModelRole::Generation);
    assert_eq!(entry.sha256, SMOLLM2_SHA256);
    assert_eq!(entry.file, "petit-modele.gguf");
    assert_eq!(
        registry
            .default_for(ModelRole::Generation)
            .expect("default")
            .name,
        "petit"
    );
    // The other entries are untouched.
    assert!(registry.get("qwen2.5-coder-0.5b").is_ok());

    // The default model loads through the usual checksum check and generates.
    let worker = load_verified(
        &registry,
        &ChecksumCache::disabled(),
        None,
        LoadOptions::default(),
    )
    .expect("the imported model loads");
    let mut text = String::new();
    let mut generation = GenerationRequest::new(vec![ChatMessage::user("Bonjour")]);
    generation.max_tokens = 8;
    worker
        .generate(generation, &mut |token: &str| {
            text.push_str(token);
            SinkControl::Continue
        })
        .expect("generation");
    assert!(!text.trim().is_empty(), "the imported model produced text");

    // The same file again under another name: its file name is taken in the folder.
    assert!(matches!(
        import_gguf(&models, &request(&file, "petit-2", None), &mut |_| true),
        Err(ModelImportError::FileExists(_))
    ));
}
