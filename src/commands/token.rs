//! `awsgate token keygen|mint`: a development signing key with its JWKS, and tokens signed
//! by it, so jwt mode can be tried (and tested) without an identity provider.

use std::{io::Write, path::Path, process::ExitCode};

use anyhow::{Context, bail};

use crate::{
    cli::{KeyKindArg, MintArgs, TokenCommand},
    identity::devtoken::{self, Claims, KeyKind},
};

pub(super) fn run(cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCommand::Keygen { out, kind, force } => keygen(&out, kind, force),
        TokenCommand::Mint(args) => mint(&args),
    }
}

fn keygen(out: &Path, kind: KeyKindArg, force: bool) -> anyhow::Result<ExitCode> {
    let kind = match kind {
        KeyKindArg::Ed25519 => KeyKind::Ed25519,
        KeyKindArg::Rsa => KeyKind::Rsa,
        KeyKindArg::P256 => KeyKind::P256,
    };
    let key_path = out.join("signing-key.pem");
    let jwks_path = out.join("jwks.json");
    if key_path.exists() && !force {
        bail!(
            "`{}` exists; pass `--force` to replace it (tokens it signed stop verifying once the JWKS changes)",
            key_path.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let (pem, key) = devtoken::keygen(kind).map_err(anyhow::Error::msg)?;
    write_private(&key_path, pem.as_bytes())?;
    let jwks = serde_json::to_string_pretty(&key.jwks())?;
    std::fs::write(&jwks_path, format!("{jwks}\n"))
        .with_context(|| format!("cannot write `{}`", jwks_path.display()))?;
    writeln!(
        std::io::stdout().lock(),
        "private key: {}",
        key_path.display()
    )?;
    writeln!(
        std::io::stdout().lock(),
        "JWKS:        {}",
        jwks_path.display()
    )?;
    writeln!(std::io::stdout().lock(), "kid:         {}", key.kid)?;
    writeln!(std::io::stdout().lock(), "alg:         {:?}", key.alg)?;
    Ok(ExitCode::SUCCESS)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

fn mint(args: &MintArgs) -> anyhow::Result<ExitCode> {
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read `{}`", args.key.display()))?;
    let key = devtoken::signing_key(&pem)
        .map_err(|e| anyhow::anyhow!("`{}`: {e}", args.key.display()))?;
    let claims = Claims {
        issuer: args.iss.clone(),
        audience: args.aud.clone(),
        subject: args.sub.clone(),
        groups: args
            .groups
            .iter()
            .filter(|g| !g.is_empty())
            .cloned()
            .collect(),
        client: args.client.clone(),
        token_id: args.jti.clone(),
        ttl: *args.ttl,
    };
    let token = key
        .sign(&claims.to_json(devtoken::now()))
        .map_err(anyhow::Error::msg)?;
    writeln!(std::io::stdout().lock(), "{token}")?;
    Ok(ExitCode::SUCCESS)
}
