//! The sandbox's certificate authority. Each database's PostgreSQL presents a certificate for
//! its private host name issued by this CA, so clients can use `sslmode=verify-full` exactly
//! as against the real service (where the root is a public CA and `PGSSLROOTCERT=system`).
//! The CA is made once per state dir and reused, so a client that trusted it keeps working.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::account::write_atomically;

pub(crate) struct Ca {
    cert: Certificate,
    key: KeyPair,
    pem_path: PathBuf,
    pem: String,
}

fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Onramp Sandbox CA");
    name.push(
        DnType::OrganizationName,
        "Onramp sandbox (not a real IBM Cloud CA)",
    );
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

impl Ca {
    /// Loads `ca.pem`/`ca-key.pem` from the state dir, or makes them.
    pub(crate) fn load_or_create(state_dir: &Path) -> std::io::Result<Ca> {
        let pem_path = state_dir.join("ca.pem");
        let key_path = state_dir.join("ca-key.pem");
        let err = |e: rcgen::Error| std::io::Error::other(format!("sandbox CA: {e}"));
        let params = ca_params().map_err(err)?;
        match (
            std::fs::read_to_string(&pem_path),
            std::fs::read_to_string(&key_path),
        ) {
            (Ok(pem), Ok(key_pem)) => {
                let key = KeyPair::from_pem(&key_pem).map_err(err)?;
                // The same subject and key re-create an issuer whose signatures verify
                // against the stored ca.pem; only ca.pem is ever handed out.
                let cert = params.self_signed(&key).map_err(err)?;
                Ok(Ca {
                    cert,
                    key,
                    pem_path,
                    pem,
                })
            }
            _ => {
                let key = KeyPair::generate().map_err(err)?;
                let cert = params.self_signed(&key).map_err(err)?;
                let pem = cert.pem();
                write_atomically(&key_path, key.serialize_pem().as_bytes())?;
                write_atomically(&pem_path, pem.as_bytes())?;
                Ok(Ca {
                    cert,
                    key,
                    pem_path,
                    pem,
                })
            }
        }
    }

    pub(crate) fn pem(&self) -> &str {
        &self.pem
    }

    pub(crate) fn pem_path(&self) -> &Path {
        &self.pem_path
    }

    /// A server certificate and key (PEM) for `hostname`.
    pub(crate) fn issue_server(&self, hostname: &str) -> std::io::Result<(String, String)> {
        let err = |e: rcgen::Error| std::io::Error::other(format!("sandbox CA: {e}"));
        let mut params = CertificateParams::new(vec![hostname.to_owned()]).map_err(err)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, hostname);
        params.distinguished_name = name;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let key = KeyPair::generate().map_err(err)?;
        let cert = params.signed_by(&key, &self.cert, &self.key).map_err(err)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}
