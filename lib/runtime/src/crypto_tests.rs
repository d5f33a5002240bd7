//! Unit tests of the keyring: sealing, rotation and blind indexes.

use super::*;

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

#[test]
fn sealed_data_opens_only_with_its_key_and_dossier() {
    let ring = Keyring::parse(&format!("k1:{}", key(1)), "k1").expect("ring");
    let (id, blob) = ring
        .seal(b"{\"full_name\":\"Ng\"}", b"dossier-a")
        .expect("seal");
    assert_eq!(id, "k1");
    assert!(
        !blob.windows(2).any(|w| w == b"Ng"),
        "ciphertext does not show the data"
    );
    assert_eq!(
        ring.open(&id, &blob, b"dossier-a").expect("open"),
        b"{\"full_name\":\"Ng\"}"
    );
    assert_eq!(
        ring.open(&id, &blob, b"dossier-b"),
        Err(CryptoError::Open),
        "bound to its dossier"
    );
    let mut tampered = blob.clone();
    tampered[20] ^= 1;
    assert_eq!(
        ring.open(&id, &tampered, b"dossier-a"),
        Err(CryptoError::Open)
    );
    assert_eq!(
        ring.open("k9", &blob, b"dossier-a"),
        Err(CryptoError::UnknownKey("k9".into()))
    );
}

#[test]
fn rotation_keeps_old_values_readable() {
    let old = Keyring::parse(&format!("k1:{}", key(1)), "k1").expect("ring");
    let (id, blob) = old.seal(b"x", b"d").expect("seal");
    let rotated = Keyring::parse(&format!("k1:{},k2:{}", key(1), key(2)), "k2").expect("ring");
    assert_eq!(rotated.open(&id, &blob, b"d").expect("old value"), b"x");
    assert_eq!(rotated.seal(b"y", b"d").expect("seal").0, "k2");
    assert!(
        Keyring::parse(&format!("k1:{}", key(1)), "k2").is_err(),
        "active key must exist"
    );
    assert!(
        Keyring::parse("k1:c2hvcnQ=", "k1").is_err(),
        "short key refused"
    );
    assert!(format!("{rotated:?}").contains("k2") && !format!("{rotated:?}").contains(&key(2)));
}

fn indexed(ring: Keyring, keys: &str, active: &str) -> Keyring {
    ring.with_index_keys(keys, active).expect("index keys")
}

#[test]
fn blind_index_is_keyed_deterministic_and_rotatable() {
    let data = format!("k1:{}", key(1));
    let ring = indexed(
        Keyring::parse(&data, "k1").expect("ring"),
        &format!("i1:{}", key(7)),
        "i1",
    );
    let id = "025190012387";
    let (kid, a) = ring.blind_index(id).expect("index");
    assert_eq!(kid, "i1");
    assert_eq!(a.len(), 64, "hex of HMAC-SHA256");
    assert_eq!(ring.blind_index(id).expect("again").1, a, "deterministic");
    assert_ne!(ring.blind_index("025190012388").expect("other").1, a);
    assert!(!a.contains(id), "the index does not show the ID");
    // The same value as an independently computed HMAC-SHA256 under the index key.
    let mut reference = <HmacSha256 as Mac>::new_from_slice(&[7u8; 32]).expect("mac");
    reference.update(id.as_bytes());
    assert_eq!(a, hex::encode(reference.finalize().into_bytes()));
    // Another index key gives another value; the data key is not the index key.
    let both = indexed(
        Keyring::parse(&data, "k1").expect("ring"),
        &format!("i1:{},i2:{}", key(7), key(8)),
        "i2",
    );
    let (kid2, b) = both.blind_index(id).expect("index");
    assert_eq!(kid2, "i2");
    assert_ne!(a, b);
    assert_eq!(
        both.blind_indexes(id),
        vec![("i1".to_owned(), a.clone()), ("i2".to_owned(), b)],
        "lookups try every key, in configuration order"
    );
    assert_eq!(both.blind_index_with("i1", id).expect("old key"), a);
    assert_eq!(
        both.blind_index_with("i9", id),
        Err(CryptoError::NoIndexKey("i9".into()))
    );
}

#[test]
fn index_keys_are_checked_and_never_printed() {
    let ring = || Keyring::parse(&format!("k1:{}", key(1)), "k1").expect("ring");
    assert!(
        ring().blind_index("025190012387").is_err(),
        "no index key configured: no index computed"
    );
    assert!(
        ring()
            .with_index_keys(&format!("i1:{}", key(7)), "i2")
            .is_err(),
        "the active index key must exist"
    );
    assert!(
        ring().with_index_keys("i1:c2hvcnQ=", "i1").is_err(),
        "short index key refused"
    );
    assert!(
        ring()
            .with_index_keys(&format!("i1:{},i1:{}", key(7), key(8)), "i1")
            .is_err(),
        "duplicate id refused"
    );
    let r = indexed(ring(), &format!("i1:{}", key(7)), "i1");
    let shown = format!("{r:?}");
    assert!(shown.contains("i1") && !shown.contains(&key(7)));
}

#[test]
fn reseal_moves_old_values_to_the_active_key_only() {
    let old = Keyring::parse(&format!("k1:{}", key(1)), "k1").expect("ring");
    let (kid, blob) = old.seal(b"025190012387", b"d").expect("seal");
    assert_eq!(old.reseal(&kid, &blob, b"d").expect("noop"), None);
    let new = Keyring::parse(&format!("k1:{},k2:{}", key(1), key(2)), "k2").expect("ring");
    let (kid2, blob2) = new
        .reseal(&kid, &blob, b"d")
        .expect("ok")
        .expect("resealed");
    assert_eq!(kid2, "k2");
    let only_new = Keyring::parse(&format!("k2:{}", key(2)), "k2").expect("ring");
    assert_eq!(
        only_new.open(&kid2, &blob2, b"d").expect("opens"),
        b"025190012387"
    );
    assert!(
        new.reseal(&kid, &blob, b"other").is_err(),
        "AAD still checked"
    );
}
