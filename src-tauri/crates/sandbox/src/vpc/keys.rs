//! SSH keys: public keys checked as the VPC checks them (type, length, fingerprint).

use super::*;

#[derive(Debug, Deserialize)]
struct CreateKey {
    name: Option<String>,
    public_key: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    resource_group: Option<Value>,
}

/// Reads an OpenSSH public key line: its type, SHA-256 fingerprint and length in bits.
pub(crate) fn inspect_public_key(line: &str) -> Option<(&'static str, String, u32)> {
    let mut parts = line.split_whitespace();
    let algorithm = parts.next()?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next()?)
        .ok()?;
    let read_string = |at: usize| -> Option<(&[u8], usize)> {
        let len = u32::from_be_bytes(blob.get(at..at + 4)?.try_into().ok()?) as usize;
        Some((blob.get(at + 4..at + 4 + len)?, at + 4 + len))
    };
    let (name, next) = read_string(0)?;
    if name != algorithm.as_bytes() {
        return None;
    }
    let (kind, bits) = match algorithm {
        "ssh-ed25519" => {
            let (key, _) = read_string(next)?;
            (key.len() == 32).then_some(("ed25519", 256))?
        }
        "ssh-rsa" => {
            let (_e, next) = read_string(next)?;
            let (n, _) = read_string(next)?;
            let n = match n.first() {
                Some(0) => &n[1..],
                _ => n,
            };
            let bits = (n.len() as u32) * 8 - n.first().map_or(0, |b| b.leading_zeros());
            ("rsa", bits)
        }
        _ => return None,
    };
    let digest = Sha256::digest(&blob);
    let fingerprint = format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    );
    Some((kind, fingerprint, bits))
}

pub(crate) async fn create_key(
    State(state): State<Arc<AppState>>,
    Path(region): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    let request: CreateKey = parse(&body)?;
    let public_key = request.public_key.ok_or_else(|| missing("public_key"))?;
    let (kind, fingerprint, length) = inspect_public_key(&public_key).ok_or_else(|| {
        bad(
            "key_invalid",
            "The public key is not a valid OpenSSH ssh-rsa or ssh-ed25519 public key.",
        )
        .target("public_key", "field", Value::Null)
    })?;
    if let Some(asked) = &request.kind {
        if asked != kind {
            return Err(bad(
                "key_type_mismatch",
                format!("The key type '{asked}' does not match the public key, which is {kind}."),
            )
            .target("type", "field", json!(asked)));
        }
    }
    if kind == "rsa" && !(2048..=4096).contains(&length) {
        return Err(bad(
            "key_invalid",
            format!("RSA keys must be 2048 to 4096 bits; this one is {length}."),
        )
        .target("public_key", "field", Value::Null));
    }
    let duplicate = ctx.state.store.read(|w| {
        w.docs_of("key", Some(&region))
            .any(|d| d.body["fingerprint"].as_str() == Some(fingerprint.as_str()))
    });
    if duplicate {
        return Err(ApiError::new(
            API,
            StatusCode::CONFLICT,
            "key_duplicate",
            "This public key is already registered in this region.",
        )
        .target("public_key", "field", Value::Null));
    }
    let name = check_name(&ctx, "key", &request.name, "key")?;
    let group = ctx.group(request.resource_group.as_ref().and_then(id_of))?;
    let id = ctx.id();
    let key = json!({
        "created_at": timestamp(now()),
        "crn": ctx.crn(&region, "key", &id),
        "fingerprint": fingerprint,
        "href": ctx.href(&format!("keys/{id}")),
        "id": id,
        "length": length,
        "name": name,
        "public_key": public_key.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "resource_group": group,
        "type": kind,
    });
    ctx.insert("key", &key);
    Ok(with_status(StatusCode::CREATED, key))
}

pub(crate) async fn delete_key(
    State(state): State<Arc<AppState>>,
    Path((region, id)): Path<(String, String)>,
) -> ApiResult {
    let ctx = Ctx::new(&state, &region);
    delete_doc(&ctx, "key", &id)
}
