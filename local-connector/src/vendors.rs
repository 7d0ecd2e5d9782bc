//! What Pullprint knows about each printer maker's panel: how to recognise
//! its printers, which ports are involved, how the panel reaches the
//! appliance, and what an admin does on the printer to secure it.
//!
//! Everything here comes from public documentation (vendor developer pages,
//! admin guides of print-management products). Each fact carries a
//! [`Fidelity`] tag saying how sure it is, and `pullprint deploy` prints the
//! tag with each step so an admin knows what is documented and what is not.

use crate::printers::Vendor;

/// How a fact is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fidelity {
    /// The vendor or a print-management admin guide describes it.
    Documented,
    /// Seen in public sample code.
    FromPublicCode,
    /// No public source: Pullprint's own choice.
    Invented,
}

impl Fidelity {
    /// The tag as printed.
    pub fn tag(self) -> &'static str {
        match self {
            Fidelity::Documented => "documented",
            Fidelity::FromPublicCode => "from public code",
            Fidelity::Invented => "invented",
        }
    }
}

/// A port and which way it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    /// TCP port.
    pub port: u16,
    /// True: the printer connects to the appliance; false: the appliance connects to the printer.
    pub inbound: bool,
    /// What it is for.
    pub purpose: &'static str,
    /// How it is known.
    pub fidelity: Fidelity,
}

/// One vendor's profile.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The vendor.
    pub vendor: Vendor,
    /// IANA enterprise numbers under which its printers (and OEM brands) answer sysObjectID.
    pub enterprises: &'static [(u32, &'static str)],
    /// Ports between the printer and the appliance.
    pub ports: &'static [Port],
    /// How the panel reaches the appliance.
    pub integration: &'static str,
    /// What the admin does on the printer to secure it, in order.
    pub secure_steps: &'static [(&'static str, Fidelity)],
    /// What the admin does on the printer to unsecure it.
    pub unsecure_steps: &'static [(&'static str, Fidelity)],
}

const fn port(port: u16, inbound: bool, purpose: &'static str, fidelity: Fidelity) -> Port {
    Port { port, inbound, purpose, fidelity }
}

use Fidelity::{Documented, Invented};

/// Every profile.
pub const PROFILES: [Profile; 5] = [
    Profile {
        vendor: Vendor::Hp,
        enterprises: &[(11, "HP")],
        ports: &[
            port(443, false, "device web services (OXPd)", Documented),
            port(7627, false, "device web services used by HP management tools", Documented),
            port(4321, true, "panel services: authentication, statistics and accessory agents", Documented),
        ],
        integration: "OXPd authentication, statistics and accessory agents call the panel API; the sign-in prompt and \
                      job list are the panel app in the device's browser, which calls the API with CORS",
        secure_steps: &[
            ("Install the appliance's CA certificate on the printer (Security > Certificate Management).", Documented),
            (
                "Register the authentication, statistics and accessory agents with the panel API URL and the credential.",
                Documented,
            ),
            ("Set the printer to hold print jobs, and restrict sign-in methods to the Pullprint agent.", Documented),
        ],
        unsecure_steps: &[
            ("Remove the Pullprint agents from the printer, and restore its sign-in methods.", Documented),
            ("Remove the appliance's CA certificate if nothing else uses it.", Documented),
        ],
    },
    Profile {
        vendor: Vendor::Km,
        enterprises: &[(18334, "Konica Minolta (and Develop, Olivetti)")],
        ports: &[
            port(80, false, "device web pages", Documented),
            port(50003, false, "OpenAPI over TLS (50001 without TLS)", Documented),
            port(4321, true, "panel services", Documented),
            port(50004, true, "named in the seeds; not confirmed by public sources", Invented),
            port(50006, true, "named in the seeds; not confirmed by public sources", Invented),
        ],
        integration: "the i-Option web browser loads the panel app; Pullprint is registered as the authentication app",
        secure_steps: &[
            (
                "Import the appliance's CA certificate into the printer (Security > PKI settings) and trust it.",
                Documented,
            ),
            ("Enable the i-Option web browser, with its cache disabled.", Documented),
            ("Register the panel app URL as the authentication application, launched first.", Documented),
            ("The authentication and counter messages beyond the URL are Pullprint's own.", Invented),
        ],
        unsecure_steps: &[(
            "Remove the authentication application registration and restore the printer's own sign-in.",
            Documented,
        )],
    },
    Profile {
        vendor: Vendor::Lexmark,
        enterprises: &[(641, "Lexmark")],
        ports: &[
            port(443, false, "device web pages and eSF management", Documented),
            port(4321, true, "panel services (card validation, job list, release, usage)", Documented),
        ],
        integration: "native eSF apps on the printer (card authentication, print release, device usage) call the panel API",
        secure_steps: &[
            ("Install the appliance's CA certificate on the printer (Security > Certificate Management).", Documented),
            (
                "Install and configure the card authentication and print release eSF apps with the panel API URL and the credential.",
                Documented,
            ),
            ("Enable device usage reporting to the same URL.", Documented),
        ],
        unsecure_steps: &[("Uninstall or disable the Pullprint eSF apps.", Documented)],
    },
    Profile {
        vendor: Vendor::Ricoh,
        enterprises: &[(367, "Ricoh (and Savin, Lanier, Gestetner, Nashuatec)")],
        ports: &[
            port(443, false, "device web pages", Documented),
            port(51443, false, "named in the seeds; not confirmed by public sources", Invented),
            port(4321, true, "panel services and log push", Documented),
        ],
        integration: "a SmartSDK web app in Web Browser NX loads the panel app; job and access logs are pushed to the statistics service",
        secure_steps: &[
            ("Install the appliance's CA certificate on the printer, and confirm it on the panel.", Documented),
            ("Register the panel app URL in Web Browser NX as the sign-in application.", Documented),
            ("Point log transfer at the statistics service.", Invented),
        ],
        unsecure_steps: &[("Remove the sign-in application and log transfer settings.", Documented)],
    },
    Profile {
        vendor: Vendor::Xerox,
        enterprises: &[(253, "Xerox")],
        ports: &[
            port(443, false, "device web services (EIP registration, SOAP)", Documented),
            port(4321, true, "panel services", Documented),
        ],
        integration: "an EIP app registered on the printer (PutRegistration) is the panel app in the EIP browser; \
                      Xerox Secure Access forwards sign-ins to the panel API",
        secure_steps: &[
            ("Install the appliance's CA certificate on the printer (Security > Certificates).", Documented),
            ("Enable HTTPS, SOAP, SNMPv3, extensible service registration and the EIP browser.", Documented),
            (
                "Register the panel app URL as an EIP app; set sign-in to Xerox Secure Access with the panel API URL.",
                Documented,
            ),
            ("The unlock call back to the printer after a card sign-in is Pullprint's own.", Invented),
        ],
        unsecure_steps: &[("Remove the EIP app and set sign-in back to the printer's own.", Documented)],
    },
];

/// The profile of a vendor.
pub fn profile(v: Vendor) -> &'static Profile {
    PROFILES.iter().find(|p| p.vendor == v).unwrap_or(&PROFILES[0])
}

/// The vendor whose enterprise number starts `sys_object_id`
/// (`1.3.6.1.4.1.<enterprise>...`, with or without a leading dot).
pub fn identify(sys_object_id: &str) -> Option<Vendor> {
    let rest = sys_object_id.trim().trim_start_matches('.').strip_prefix("1.3.6.1.4.1.")?;
    let enterprise: u32 = rest.split('.').next()?.parse().ok()?;
    PROFILES.iter().find(|p| p.enterprises.iter().any(|(n, _)| *n == enterprise)).map(|p| p.vendor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printers_are_recognised_by_enterprise_number() {
        assert_eq!(identify("1.3.6.1.4.1.11.2.3.9.1"), Some(Vendor::Hp));
        assert_eq!(identify(".1.3.6.1.4.1.18334.1.2.1.2.1.150"), Some(Vendor::Km));
        assert_eq!(identify("1.3.6.1.4.1.641.2.245"), Some(Vendor::Lexmark));
        assert_eq!(identify("1.3.6.1.4.1.367.1.1"), Some(Vendor::Ricoh));
        assert_eq!(identify("1.3.6.1.4.1.253.8.62.1.20.4.1.1"), Some(Vendor::Xerox));
        assert_eq!(identify("1.3.6.1.4.1.1602.4.7"), None, "Canon is not one of the five");
        assert_eq!(identify("1.3.6.1.4.1.110"), None, "a prefix of another number does not count");
        assert_eq!(identify("garbage"), None);
    }

    #[test]
    fn every_vendor_has_the_panel_port_and_steps() {
        for p in PROFILES {
            assert!(p.ports.iter().any(|x| x.port == 4321 && x.inbound), "{:?}", p.vendor);
            assert!(!p.secure_steps.is_empty() && !p.unsecure_steps.is_empty());
            assert!(p.secure_steps[0].0.contains("CA certificate"), "the CA comes first: {:?}", p.vendor);
        }
        assert!(profile(Vendor::Km).ports.iter().any(|x| x.port == 50003 && !x.inbound));
        assert!(profile(Vendor::Ricoh).ports.iter().any(|x| x.port == 51443));
    }
}
