//! The console's printer actions carried out against the registry:
//! register (secure), rotate, revoke and remove, and one printer's page
//! with the steps that secure its panel, from its vendor's profile.

use super::Site;
use crate::Outcome;
use crate::views::{Actor, PrinterPage};
use local_connector::badge::{Encoding, ReaderProfile};
use local_connector::printers::{DeviceError, NewCredential, Vendor};
use local_connector::vendors::{Fidelity, profile};

fn fidelity(f: Fidelity) -> String {
    match f {
        Fidelity::Documented => "documented by the vendor",
        Fidelity::FromPublicCode => "seen in public sample code",
        Fidelity::Invented => "Pullprint's own choice; check with the vendor",
    }
    .into()
}

impl Site {
    /// One printer's page, with its credential when one was just made.
    pub(super) fn printer_page(&self, id: &str, credential: Option<&NewCredential>) -> Outcome {
        let Some(d) = self.devices.find(id) else { return Outcome::NotFound };
        let Some(view) = self.printers_with_scout().0.into_iter().find(|p| p.id == d.id) else {
            return Outcome::NotFound;
        };
        let meters = view.scout.as_ref().map(|s| self.meters(&s.key)).unwrap_or_default();
        let p = profile(d.vendor);
        Outcome::Printer(Box::new(PrinterPage {
            printer: view,
            integration: p.integration.into(),
            steps: p.secure_steps.iter().map(|(s, f)| ((*s).to_owned(), fidelity(*f))).collect(),
            unsecure: p.unsecure_steps.iter().map(|(s, f)| ((*s).to_owned(), fidelity(*f))).collect(),
            ports: p
                .ports
                .iter()
                .map(|x| {
                    let way = if x.inbound { "printer to appliance" } else { "appliance to printer" };
                    (x.port, way.to_owned(), x.purpose.to_owned(), fidelity(x.fidelity))
                })
                .collect(),
            credential: credential.map(|c| zeroize::Zeroizing::new(c.reveal().to_owned())),
            app_url: credential.map(|c| format!("{}/panel/app/start?device={}", self.facts.panel_base, c.reveal())),
            panel_base: self.facts.panel_base.clone(),
            meters,
        }))
    }

    pub(super) fn add_printer(
        &self,
        by: &Actor,
        (name, vendor, address): (&str, &str, &str),
        (reader, reversed): (&str, bool),
    ) -> Outcome {
        let e = Self::entry(by, "printer.add").target(name);
        let refused = |e: local_connector::audit::Entry, why: String| {
            self.audit.record(e.outcome("refused", &why));
            Outcome::Invalid(vec![("printer".into(), why)])
        };
        let Some(vendor) = Vendor::parse(vendor) else {
            return refused(e, "Choose the printer's maker: HP, Konica Minolta, Lexmark, Ricoh or Xerox.".into());
        };
        let (name, address) = (name.trim(), address.trim());
        if name.is_empty() || address.is_empty() || name.len() > 100 || address.len() > 253 {
            return refused(e, "A printer needs a name (up to 100 characters) and a host name or address.".into());
        }
        let encoding = match reader {
            "decimal" => Encoding::Decimal,
            "wiegand26" => Encoding::Wiegand26,
            _ => Encoding::Hex,
        };
        let profile = ReaderProfile { encoding, reversed, ..ReaderProfile::default() };
        match self.devices.add(name, vendor, address, profile) {
            Ok((d, cred)) => {
                log::info!("console: {} registered printer {} ({}) at {address}", by.user.login, d.name, d.id);
                self.audit.record(e.target(&format!("{} ({}) at {address}", d.name, d.id)));
                self.printer_page(&d.id, Some(&cred))
            }
            Err(DeviceError::Exists(_)) => {
                refused(e, format!("A printer named {name} or at {address} is registered already."))
            }
            Err(err) => {
                log::error!("console: registering a printer: {err}");
                self.audit.record(e.outcome("failed", "see the appliance log"));
                Outcome::Failed
            }
        }
    }

    pub(super) fn for_printer(&self, by: &Actor, id: &str, op: &str) -> Outcome {
        let Some(d) = self.devices.find(id).filter(|d| d.id == id) else { return Outcome::NotFound };
        let e = Self::entry(by, &format!("printer.{op}")).target(&format!("{} ({})", d.name, d.id));
        let done = match op {
            "rotate" => self.devices.rotate(&d.id).map(|(_, cred)| Some(cred)),
            "revoke" => self.devices.revoke(&d.id).map(|_| None),
            "remove" => self.devices.remove(&d.id).map(|_| None),
            "rotate-label" => self.devices.rotate_label(&d.id).map(|_| None),
            _ => return Outcome::NotFound,
        };
        match done {
            Ok(cred) => {
                log::info!("console: {} did {op} on printer {} ({})", by.user.login, d.name, d.id);
                self.audit.record(e);
                match (op, cred) {
                    (_, Some(c)) => self.printer_page(&d.id, Some(&c)),
                    ("remove", None) => Outcome::Done,
                    _ => self.printer_page(&d.id, None),
                }
            }
            Err(err) => {
                log::error!("console: {op} printer {}: {err}", d.id);
                self.audit.record(e.outcome("failed", "see the appliance log"));
                Outcome::Failed
            }
        }
    }

    pub(super) fn set_location(&self, by: &Actor, id: &str, location: &str) -> Outcome {
        let Some(d) = self.devices.find(id).filter(|d| d.id == id) else { return Outcome::NotFound };
        let location = location.trim();
        let e = Self::entry(by, "printer.location");
        let why = if location.chars().any(char::is_control) {
            Some("not one line")
        } else if location.chars().count() > 100 {
            Some("longer than 100 characters")
        } else {
            None
        };
        if let Some(why) = why {
            // What was refused is not copied into the log.
            self.audit.record(e.target(&format!("{} ({})", d.name, d.id)).outcome("refused", why));
            return Outcome::Invalid(vec![(
                "location".into(),
                "A location is one line of up to 100 characters.".into(),
            )]);
        }
        let e = e.target(&format!("{} ({}): {location}", d.name, d.id));
        match self.devices.set_location(&d.id, location) {
            Ok(_) => {
                self.audit.record(e);
                self.printer_page(&d.id, None)
            }
            Err(err) => {
                log::error!("console: setting the location of printer {}: {err}", d.id);
                self.audit.record(e.outcome("failed", "see the appliance log"));
                Outcome::Failed
            }
        }
    }

    /// A PDF sheet of the labels of printers `ids` (every printer when empty).
    pub(super) fn labels(&self, by: &Actor, ids: &[String], paper: &str) -> Outcome {
        use local_connector::labels::{self, Paper};
        let ids: Vec<String> =
            if ids.is_empty() { self.devices.list().into_iter().map(|d| d.id).collect() } else { ids.to_vec() };
        let mut chosen = Vec::new();
        for id in &ids {
            let Some(d) = self.devices.find(id).filter(|d| &d.id == id) else { return Outcome::NotFound };
            match self.devices.label_for(&d.id, &self.facts.web_base) {
                Ok(label) => chosen.push(label),
                Err(err) => {
                    log::error!("console: a label for printer {}: {err}", d.id);
                    return Outcome::Failed;
                }
            }
        }
        if chosen.is_empty() {
            return Outcome::Invalid(vec![("printers".into(), "No printer is registered yet.".into())]);
        }
        match labels::pdf(&chosen, Paper::parse(paper).unwrap_or(Paper::A4)) {
            Ok(pdf) => {
                let what = chosen.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ");
                self.audit.record(Self::entry(by, "printer.labels").target(&what));
                Outcome::Pdf(pdf)
            }
            Err(err) => {
                log::error!("console: making labels: {err}");
                Outcome::Failed
            }
        }
    }
}
