//! The shell's commands through Tauri's mock runtime: the real IPC layer (argument names,
//! serialisation, error mapping) over the real engine, corpus and index, without a window.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};
use vigie_desktop::{AppState, CommandError, with_commands};
use vigie_engine::assistant::Assistant;
use vigie_engine::{Engine, PathOverrides, Paths};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn paths(data_dir: &Path) -> Paths {
    let root = workspace_root();
    Paths::resolve(&PathOverrides {
        data_dir: Some(data_dir.to_path_buf()),
        corpus_dir: Some(root.join("../shared/corpus")),
        models_dir: Some(root.join("models")),
    })
    .expect("paths")
}

/// A data directory reusing the shared test index (built once per machine, under a lock).
fn data_dir_with_index(dir: &Path) -> Paths {
    let shared = workspace_root().join("target/test-data");
    let engine = Engine::open(paths(&shared)).expect("engine");
    engine.retriever(&mut |_| {}).expect("shared index");
    std::os::unix::fs::symlink(shared.join("index"), dir.join("index")).expect("symlink");
    let _ = std::fs::copy(shared.join("verified.json"), dir.join("verified.json"));
    paths(dir)
}

fn app(state: AppState) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = with_commands(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    (app, webview)
}

fn invoke(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json response"))
}

fn french(error: &Value) -> String {
    error["message_fr"].as_str().unwrap_or_default().to_string()
}

#[test]
fn an_assistant_that_could_not_open_reports_why_on_every_command() {
    let (_app, webview) = app(AppState::failed(CommandError::new(
        "Le corpus est introuvable.",
        "corpus not found",
    )));
    for (cmd, args) in [
        ("status", json!({})),
        ("search", json!({ "query": "414" })),
        ("conversations", json!({})),
        ("cancel", json!({})),
    ] {
        let err = invoke(&webview, cmd, args).expect_err(cmd);
        assert_eq!(french(&err), "Le corpus est introuvable.", "{cmd}");
        assert_eq!(err["message"], "corpus not found");
    }
}

#[test]
fn commands_reach_the_engine_and_map_its_errors_to_french() {
    let dir = tempfile::tempdir().expect("temp dir");
    let assistant = Assistant::open(data_dir_with_index(dir.path()))
        .expect("assistant")
        .with_export_dir(dir.path().join("exports"));
    assistant.prepare_index(false).expect("index");
    let (_app, webview) = app(AppState::ready(Arc::new(assistant)));

    let status = invoke(&webview, "status", json!({})).expect("status");
    assert_eq!(status["index"]["phase"], "ready");
    assert_eq!(status["settings"]["notice_acknowledged"], false);
    assert!(
        status["models"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["name"] == "smollm2"))
    );

    let results = invoke(&webview, "search", json!({ "query": "414", "k": 5 })).expect("search");
    assert_eq!(results["direct"], "CD-art-414");

    let article = invoke(&webview, "article", json!({ "id": "CD-art-414" })).expect("article");
    assert_eq!(article["article"], "414");
    assert!(
        article["credit"]
            .as_str()
            .is_some_and(|c| c.contains("Licence Ouverte 2.0"))
    );

    let mut settings = status["settings"].clone();
    settings["notice_acknowledged"] = json!(true);
    invoke(&webview, "save_settings", json!({ "settings": settings })).expect("save");
    let status = invoke(&webview, "status", json!({})).expect("status");
    assert_eq!(status["settings"]["notice_acknowledged"], true);

    settings["temperature"] = json!(9.0);
    let err = invoke(&webview, "save_settings", json!({ "settings": settings }))
        .expect_err("invalid temperature");
    assert!(french(&err).contains("température"), "{err}");

    let err = invoke(&webview, "conversation", json!({ "id": 4242 })).expect_err("missing");
    assert!(french(&err).contains("n'existe plus"), "{err}");
    let err = invoke(
        &webview,
        "export_conversation",
        json!({ "id": 1, "format": "docx" }),
    )
    .expect_err("unknown format");
    assert!(french(&err).contains("Format d'export"), "{err}");
    assert_eq!(
        invoke(&webview, "conversations", json!({ "filter": null })).expect("list"),
        json!([])
    );
    assert_eq!(
        invoke(&webview, "cancel", json!({})).expect("cancel"),
        false
    );

    // The policy in effect, shown in the settings: the shipped one, with a label closed to the AI.
    let policy = invoke(&webview, "policy", json!({})).expect("policy");
    assert_eq!(policy["policy"]["source"]["kind"], "default");
    assert!(
        policy["policy"]["labels"]
            .as_array()
            .is_some_and(|l| l.iter().any(|l| l["ai_allowed"] == false))
    );
    assert_eq!(policy["collections"], json!([]));

    // A model file that is not there: refused in French, journaled, nothing installed.
    let err = invoke(
        &webview,
        "import_model",
        json!({
            "path": dir.path().join("absent.gguf"),
            "name": "absent",
            "sha256": null,
            "makeDefault": false,
            "onProgress": "__CHANNEL__:1",
        }),
    )
    .expect_err("missing model file");
    assert!(
        french(&err).contains("n'est pas un modèle GGUF utilisable"),
        "{err}"
    );
    let journal = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("journal");
    assert!(journal.contains("\"model_import_refused\""), "{journal}");
}

#[test]
fn the_content_security_policy_allows_only_local_content() {
    let conf: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("src-tauri/tauri.conf.json"))
            .expect("tauri.conf.json"),
    )
    .expect("json");
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP is set");
    let directives: Vec<(&str, Vec<&str>)> = csp
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut parts = d.split_whitespace();
            (parts.next().unwrap_or_default(), parts.collect())
        })
        .collect();
    let sources = |name: &str| {
        directives
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("directive {name} missing"))
    };
    assert_eq!(sources("default-src"), vec!["'self'"]);
    assert_eq!(sources("script-src"), vec!["'self'"]);
    assert_eq!(sources("object-src"), vec!["'none'"]);
    // Only the IPC endpoints, never a remote host.
    assert_eq!(sources("connect-src"), vec!["ipc:", "http://ipc.localhost"]);
    for (name, values) in &directives {
        for v in values {
            assert!(
                !v.contains('*') && *v != "'unsafe-inline'" && *v != "'unsafe-eval'",
                "{name} allows {v}"
            );
            if v.starts_with("http") || v.starts_with("ws") {
                assert_eq!(*v, "http://ipc.localhost", "{name} allows remote {v}");
            }
        }
    }
    assert!(conf["app"]["security"].get("devCsp").is_none());
    // No updater, no plugin with network access.
    assert!(
        conf.get("plugins")
            .is_none_or(|p| p.as_object().is_none_or(|o| o.is_empty()))
    );
    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("src-tauri/capabilities/default.json"))
            .expect("capability"),
    )
    .expect("json");
    assert_eq!(capability["permissions"], json!(["core:default"]));
}
