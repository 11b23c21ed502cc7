//! The binary's command line: configuration errors, migrations, the OpenAPI printout.

use std::process::{Command, Output};

fn bedrud(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bedrud"));
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run bedrud")
}

fn stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

/// Each bad configuration exits non-zero with one clear line naming the problem.
#[test]
fn bad_configuration_exits_with_one_clear_line() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("unknown.toml"), "[server]\nprot = 1\n").expect("write");
    std::fs::write(dir.path().join("broken.toml"), "[server\nport = ").expect("write");
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["--config", "unknown.toml", "config", "check"],
            vec![],
            "prot",
        ),
        (
            vec!["--config", "broken.toml", "config", "check"],
            vec![],
            "broken.toml",
        ),
        (
            vec!["--config", "missing.toml", "config", "check"],
            vec![],
            "missing.toml",
        ),
        (
            vec!["config", "check"],
            vec![("BEDRUD_DATABASE__URL", "mysql://nope")],
            "database.url",
        ),
        (
            vec!["config", "check"],
            vec![("BEDRUD_SERVER__PORT", "eighty")],
            "BEDRUD_SERVER__PORT",
        ),
        (
            vec!["config", "check"],
            vec![("BEDRUD_AUTH__JWT_SECRET", "short")],
            "auth.jwt_secret",
        ),
    ];
    for (args, env, needle) in cases {
        let out = bedrud(dir.path(), &args, &env);
        let err = stderr_line(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?} {env:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line only: {err}");
        assert!(err.starts_with("bedrud: error: "), "{err}");
        assert!(err.contains(needle), "{err} should name {needle}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
}

#[test]
fn port_in_use_is_reported_not_panicked() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let dir = tempfile::tempdir().expect("dir");
    let out = bedrud(
        dir.path(),
        &["run"],
        &[
            ("BEDRUD_SERVER__HOST", "127.0.0.1"),
            ("BEDRUD_SERVER__PORT", &port),
            ("BEDRUD_LIVEKIT__MODE", "disabled"),
        ],
    );
    let err = stderr_line(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn migrate_is_idempotent_and_creates_the_default_database() {
    let dir = tempfile::tempdir().expect("dir");
    let first = bedrud(dir.path(), &["migrate"], &[]);
    assert!(first.status.success(), "{}", stderr_line(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied migrations"));
    assert!(
        dir.path().join("data/bedrud.db").exists(),
        "zero-config SQLite location"
    );
    let second = bedrud(dir.path(), &["migrate"], &[]);
    assert!(second.status.success(), "{}", stderr_line(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("database is up to date"));
}

#[test]
fn openapi_prints_an_openapi_3_document() {
    let dir = tempfile::tempdir().expect("dir");
    let out = bedrud(dir.path(), &["openapi"], &[]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    assert!(doc["paths"]["/api/health"].is_object());
}

#[test]
fn user_commands_manage_accounts_and_guard_the_last_superadmin() {
    let dir = tempfile::tempdir().expect("dir");
    let mut create = Command::new(env!("CARGO_BIN_EXE_bedrud"));
    create
        .args([
            "user",
            "create",
            "--email",
            "Root@Example.COM",
            "--name",
            "Root",
            "--superadmin",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = create.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"a long enough password\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", stderr_line(&out));
    let list = bedrud(dir.path(), &["user", "list"], &[]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("root@example.com") && text.contains("superadmin"),
        "{text}"
    );
    let demote = bedrud(
        dir.path(),
        &["user", "demote", "--email", "root@example.com"],
        &[],
    );
    assert_eq!(demote.status.code(), Some(1));
    assert!(stderr_line(&demote).contains("last superadmin"));
    let dup = bedrud(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Again",
            "--password",
            "another long password",
        ],
        &[],
    );
    assert_eq!(dup.status.code(), Some(1));
    assert!(
        stderr_line(&dup).contains("already exists"),
        "{}",
        stderr_line(&dup)
    );
}
