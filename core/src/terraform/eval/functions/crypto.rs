//! Hash and crypto functions. `bcrypt` and `uuid` differ on every run: unknown.

use super::files::read;
use super::{string, unknown, Env};
use base64::Engine;
use hcl::Value;
use sha2::Digest;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub fn impure(_: &[Value], _: &Env) -> Result<Value, String> {
    Ok(unknown())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(a: &[Value], what: &str) -> Result<Vec<u8>, String> {
    Ok(string(&a[0], what)?.into_bytes())
}

fn file(a: &[Value], env: &Env, what: &str) -> Result<Vec<u8>, String> {
    read(env, &string(&a[0], what)?, what)
}

pub fn md5(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&md5::Md5::digest(text(a, "md5")?))))
}
pub fn sha1(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&sha1::Sha1::digest(text(a, "sha1")?))))
}
pub fn sha256(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&sha2::Sha256::digest(text(a, "sha256")?))))
}
pub fn sha512(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&sha2::Sha512::digest(text(a, "sha512")?))))
}
pub fn base64sha256(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(B64.encode(sha2::Sha256::digest(text(a, "base64sha256")?))))
}
pub fn base64sha512(a: &[Value], _: &Env) -> Result<Value, String> {
    Ok(Value::from(B64.encode(sha2::Sha512::digest(text(a, "base64sha512")?))))
}
pub fn filemd5(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&md5::Md5::digest(file(a, env, "filemd5")?))))
}
pub fn filesha1(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&sha1::Sha1::digest(file(a, env, "filesha1")?))))
}
pub fn filesha256(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&sha2::Sha256::digest(file(a, env, "filesha256")?))))
}
pub fn filesha512(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(hex(&sha2::Sha512::digest(file(a, env, "filesha512")?))))
}
pub fn filebase64sha256(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(B64.encode(sha2::Sha256::digest(file(a, env, "filebase64sha256")?))))
}
pub fn filebase64sha512(a: &[Value], env: &Env) -> Result<Value, String> {
    Ok(Value::from(B64.encode(sha2::Sha512::digest(file(a, env, "filebase64sha512")?))))
}

/// RFC 4122 version 5: SHA-1 of the namespace and name. Namespaces by name as Terraform's
/// (`dns`, `url`, `oid`, `x500`) or as a UUID.
pub fn uuidv5(a: &[Value], _: &Env) -> Result<Value, String> {
    let ns = string(&a[0], "uuidv5")?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|e| format!("uuidv5: namespace {other:?}: {e}"))?,
    };
    Ok(Value::from(uuid::Uuid::new_v5(&namespace, string(&a[1], "uuidv5")?.as_bytes()).to_string()))
}

/// PKCS #1 v1.5 decryption with an RSA private key in PEM (PKCS #1 or PKCS #8).
pub fn rsadecrypt(a: &[Value], _: &Env) -> Result<Value, String> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let cipher = B64.decode(string(&a[0], "rsadecrypt")?).map_err(|e| format!("rsadecrypt: {e}"))?;
    let pem = string(&a[1], "rsadecrypt")?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(&pem))
        .map_err(|_| "rsadecrypt: the key is not an RSA private key in PEM".to_string())?;
    let plain = key.decrypt(rsa::Pkcs1v15Encrypt, &cipher).map_err(|e| format!("rsadecrypt: {e}"))?;
    String::from_utf8(plain).map(Value::from).map_err(|_| "rsadecrypt: the result is not UTF-8".into())
}
