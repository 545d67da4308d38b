//! Mail over SMTP (lettre), always with STARTTLS: the relay's certificate is checked against
//! the system's roots and, when configured, the CA file's; no plain-text fallback and no way
//! to switch verification off. The idempotency key is the message's `Message-ID`
//! (`<KEY@lantian>`), which mail systems use to recognise a message sent twice.
//!
//! Refusals: a permanent SMTP reply (5xx) refuses the message for good — except those about
//! authentication (530, 534, 535, 538), which a corrected password cures; anything else
//! (4xx, no connection, TLS, a timeout) is tried again.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{ChannelError, Outgoing, SendError};
use crate::notify::channel_config::{ChannelSpec, EmailTarget};

/// SMTP replies about authentication: permanent for SMTP, cured by configuration.
const AUTH_REPLIES: [&str; 4] = ["530", "534", "535", "538"];

pub(super) struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl EmailChannel {
    pub(super) fn new(
        spec: &ChannelSpec,
        target: &EmailTarget,
    ) -> Result<EmailChannel, ChannelError> {
        let setup = |reason: String| ChannelError::Setup {
            channel: spec.name.clone(),
            reason,
        };
        let mut tls = TlsParameters::builder(target.host.clone());
        if let Some(ca) = &target.ca_file {
            let pem =
                std::fs::read(ca).map_err(|e| setup(format!("CA file {}: {e}", ca.display())))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| setup(format!("CA file {}: {e}", ca.display())))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls.build_rustls().map_err(|e| setup(format!("TLS: {e}")))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&target.host)
            .port(target.port)
            .tls(Tls::Required(tls))
            .timeout(Some(spec.timeout));
        if let Some((user, password)) = &target.login {
            let password = password.source.read(&password.at)?;
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(EmailChannel {
            transport: builder.build(),
            from: target.from.clone(),
            to: target.to.clone(),
        })
    }

    pub(super) async fn send(&self, m: &Outgoing) -> Result<(), SendError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(m.title.clone())
            .message_id(Some(format!("<{}@lantian>", m.key)))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let email = builder
            .body(m.plain())
            .map_err(|e| SendError::Rejected(format!("cannot build the mail: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let code = e.status().map(|c| c.to_string());
                let what = match &code {
                    Some(c) => format!("SMTP {c}: {e}"),
                    None => format!("SMTP: {e}"),
                };
                let auth = code.as_deref().is_some_and(|c| AUTH_REPLIES.contains(&c));
                if e.is_permanent() && !auth {
                    Err(SendError::Rejected(what))
                } else {
                    Err(SendError::Transient(what))
                }
            }
        }
    }
}
