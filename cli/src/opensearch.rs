//! `logpipe opensearch`: apply the OpenSearch setup (templates, ISM, roles, users, dashboards) to a
//! domain, the same code the `opensearch-setup` custom resource runs; or write what it would apply.

use crate::args::{OpenSearchApplyArgs, OpenSearchAuth, OpenSearchCommand, OpenSearchRenderArgs, SetupOptions};
use crate::targets::runtime;
use anyhow::{bail, Context, Result};
use logpipe::opensearch::{apply, Auth, HttpClient, InternalUser, Plan, SetupConfig};
use std::process::ExitCode;

pub fn run(command: &OpenSearchCommand) -> Result<ExitCode> {
    match command {
        OpenSearchCommand::Apply(args) => runtime()?.block_on(apply_setup(args)),
        OpenSearchCommand::Render(args) => render(args),
    }
}

fn config(options: &SetupOptions) -> Result<SetupConfig> {
    let mut internal_users = Vec::new();
    if let Some(path) = &options.users {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        internal_users = InternalUser::parse_file(&text).with_context(|| path.display().to_string())?;
    }
    Ok(SetupConfig {
        shards: options.shards,
        replicas: options.replicas,
        retention_days: options.retention_days,
        total_fields_limit: options.total_fields_limit,
        refresh_interval: options.refresh_interval.clone(),
        writer_backend_roles: options.writer_backend_role.clone(),
        reader_backend_roles: options.reader_backend_role.clone(),
        reader_users: options.reader_user.clone(),
        internal_users,
        reset_passwords: options.reset_passwords,
        dashboards: !options.no_dashboards,
        security: !options.no_security,
    })
}

async fn apply_setup(args: &OpenSearchApplyArgs) -> Result<ExitCode> {
    let plan = Plan::new(&config(&args.setup)?)?;
    let auth = match args.auth {
        OpenSearchAuth::Sigv4 => Auth::from_aws_environment(args.region.clone()).await?,
        OpenSearchAuth::Basic => {
            let Some(user) = &args.user else {
                bail!("--auth basic needs --user (and the password in LOGPIPE_OPENSEARCH_PASSWORD)")
            };
            let password = std::env::var("LOGPIPE_OPENSEARCH_PASSWORD")
                .context("--auth basic reads the password from LOGPIPE_OPENSEARCH_PASSWORD")?;
            Auth::Basic {
                user: user.clone(),
                password,
            }
        }
        OpenSearchAuth::None => Auth::None,
    };
    let client = HttpClient::new(&args.endpoint, args.dashboards_url.as_deref(), auth)?;
    let report = apply(&client, &plan).await?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// Writes every request body `apply` would send, one file per object, for review or for applying
/// by hand (e.g. from Dashboards' Dev Tools).
fn render(args: &OpenSearchRenderArgs) -> Result<ExitCode> {
    let plan = Plan::new(&config(&args.setup)?)?;
    let write = |dir: &str, name: &str, body: &serde_json::Value| -> Result<()> {
        let dir = args.out.join(dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(body)? + "\n";
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    for (name, body) in &plan.component_templates {
        write("_component_template", name, body)?;
    }
    for (name, body) in &plan.index_templates {
        write("_index_template", name, body)?;
    }
    for (id, body) in &plan.ism_policies {
        write("_plugins/_ism/policies", id, body)?;
    }
    for (name, body) in &plan.roles {
        write("_plugins/_security/api/roles", name, body)?;
    }
    for mapping in &plan.role_mappings {
        let body = serde_json::json!({"backend_roles": mapping.backend_roles, "users": mapping.users});
        write("_plugins/_security/api/rolesmapping", &mapping.role, &body)?;
    }
    let objects: Vec<_> = plan.saved_objects.iter().map(|o| o.body.clone()).collect();
    if !objects.is_empty() {
        write("_dashboards", "saved-objects", &serde_json::Value::Array(objects))?;
    }
    println!(
        "wrote the setup to {} (internal users are not written: they hold secrets)",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
