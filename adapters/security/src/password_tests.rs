use super::*;

fn hasher() -> Argon2Hasher {
    Argon2Hasher::new()
}

fn sha256_hex(password: &str) -> String {
    hex::encode(Sha256::digest(password.as_bytes()))
}

#[tokio::test]
async fn argon2id_hash_has_exact_phc_parameters_and_verifies() {
    let h = hasher();
    let hash = h.hash("correct horse".into()).await.expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "unexpected PHC string {hash}"
    );

    let parsed = PasswordHash::new(&hash).expect("PHC string");
    let mut salt = [0u8; 64];
    let salt = parsed
        .salt
        .expect("salt")
        .decode_b64(&mut salt)
        .expect("salt b64");
    assert_eq!(salt.len(), SALT_LEN);
    assert_eq!(parsed.hash.expect("output").len(), ARGON2_OUTPUT_LEN);

    let v = h
        .verify("correct horse".into(), Some(hash))
        .await
        .expect("verify");
    assert_eq!(v, Verification::Match);
}

#[tokio::test]
async fn two_hashes_of_one_password_differ() {
    let h = hasher();
    let a = h.hash("same".into()).await.expect("hash");
    let b = h.hash("same".into()).await.expect("hash");
    assert_ne!(a, b);
}

#[tokio::test]
async fn wrong_password_mismatches() {
    let h = hasher();
    let hash = h.hash("correct horse".into()).await.expect("hash");
    let v = h
        .verify("battery staple".into(), Some(hash))
        .await
        .expect("verify");
    assert_eq!(v, Verification::Mismatch);
}

#[tokio::test]
async fn legacy_bcrypt_of_hex_sha256_needs_rehash() {
    let hash = bcrypt::hash(sha256_hex("hunter22"), 4).expect("bcrypt");
    assert!(hash.starts_with("$2b$04$"));
    let h = hasher();
    let ok = h
        .verify("hunter22".into(), Some(hash.clone()))
        .await
        .expect("verify");
    assert_eq!(ok, Verification::MatchNeedsRehash);
    let bad = h
        .verify("hunter23".into(), Some(hash))
        .await
        .expect("verify");
    assert_eq!(bad, Verification::Mismatch);
}

#[tokio::test]
async fn legacy_plain_bcrypt_needs_rehash_for_every_prefix() {
    let parts = bcrypt::hash_with_result("hunter22", 4).expect("bcrypt");
    let h = hasher();
    for version in [
        bcrypt::Version::TwoA,
        bcrypt::Version::TwoB,
        bcrypt::Version::TwoY,
    ] {
        let hash = parts.format_for_version(version);
        let ok = h
            .verify("hunter22".into(), Some(hash.clone()))
            .await
            .expect("verify");
        assert_eq!(ok, Verification::MatchNeedsRehash, "{hash}");
        let bad = h
            .verify("hunter2".into(), Some(hash))
            .await
            .expect("verify");
        assert_eq!(bad, Verification::Mismatch);
    }
}

#[tokio::test]
async fn no_hash_mismatches_even_for_the_empty_password() {
    let h = hasher();
    for password in ["", "anything"] {
        let v = h.verify(password.into(), None).await.expect("verify");
        assert_eq!(v, Verification::Mismatch);
    }
    // The dummy is a real hash with the current parameters, so it costs a real verify.
    let dummy = dummy_hash().expect("dummy hash");
    assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[tokio::test]
async fn unreadable_hashes_mismatch_without_panicking() {
    let h = hasher();
    let hashes = [
        "",
        "plain-text",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$bad$bad",
        "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$2b$",
        "$2b$04$short",
        "$2y$xx$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
        "$2a$99$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
        "$2b$04$ééééééééééééééééééééééééééééééééééééééééééééééééééééé",
    ];
    for hash in hashes {
        let v = h
            .verify("password".into(), Some(hash.into()))
            .await
            .expect("verify");
        assert_eq!(v, Verification::Mismatch, "{hash:?}");
    }
}

#[tokio::test]
async fn odd_passwords_do_not_panic() {
    let h = hasher();
    let long = "x".repeat(4096);
    let odd = "\0nul\u{1F600}".to_string();
    let legacy = bcrypt::hash(&long, 4).expect("bcrypt");
    for password in [long.clone(), odd] {
        let hash = h.hash(password.clone()).await.expect("hash");
        let v = h.verify(password, Some(hash)).await.expect("verify");
        assert_eq!(v, Verification::Match);
    }
    let v = h.verify(long, Some(legacy)).await.expect("verify");
    assert_eq!(v, Verification::MatchNeedsRehash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_work_beyond_the_permit_count_completes() {
    let h = Argon2Hasher::with_concurrency(1);
    let hash = h.hash("pw".into()).await.expect("hash");
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let h = h.clone();
            let hash = hash.clone();
            tokio::spawn(async move {
                let password = if i % 2 == 0 { "pw" } else { "nope" };
                h.verify(password.into(), Some(hash)).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("join").expect("verify"));
    }
    assert_eq!(
        results,
        [
            Verification::Match,
            Verification::Mismatch,
            Verification::Match,
            Verification::Mismatch
        ]
    );
    assert_eq!(h.permits.available_permits(), 1);
}

#[test]
fn zero_concurrency_still_allows_one() {
    assert_eq!(
        Argon2Hasher::with_concurrency(0)
            .permits
            .available_permits(),
        1
    );
}
