//! The numbers IPP messages carry, named once: status codes (RFC 8011
//! Appendix B), value tags (RFC 8010 §3.5.2) and job states (RFC 8011
//! §5.3.7). Operations are the `ipp` crate's `Operation`: its value `as
//! u16` is what goes on the wire.

/// Status codes (`status-code`, RFC 8011 Appendix B), as the unsigned
/// numbers on the wire; the `ipp` crate's `StatusCode` is the one source.
pub mod status {
    use ipp::model::StatusCode;

    /// `successful-ok`.
    pub const OK: u16 = StatusCode::SuccessfulOk as u16;
    /// `client-error-bad-request`.
    pub const BAD_REQUEST: u16 = StatusCode::ClientErrorBadRequest as u16;
    /// `client-error-not-possible`.
    pub const NOT_POSSIBLE: u16 = StatusCode::ClientErrorNotPossible as u16;
    /// `client-error-not-found`.
    pub const NOT_FOUND: u16 = StatusCode::ClientErrorNotFound as u16;
    /// `client-error-document-format-not-supported`.
    pub const DOCUMENT_FORMAT_NOT_SUPPORTED: u16 = StatusCode::ClientErrorDocumentFormatNotSupported as u16;
    /// `server-error-not-accepting-jobs`.
    pub const NOT_ACCEPTING_JOBS: u16 = StatusCode::ServerErrorNotAcceptingJobs as u16;
    /// `server-error-busy`: try again later.
    pub const BUSY: u16 = StatusCode::ServerErrorBusy as u16;

    /// Whether `code` is one of the successful ones (0x0000-0x00ff).
    pub fn is_success(code: u16) -> bool {
        code < 0x0100
    }
}

/// Value tags (RFC 8010 §3.5.2), for writing raw values and for the
/// framing scan.
pub mod tag {
    /// `integer`.
    pub const INTEGER: u8 = 0x21;
    /// `boolean`.
    pub const BOOLEAN: u8 = 0x22;
    /// `enum`.
    pub const ENUM: u8 = 0x23;
    /// `dateTime`.
    pub const DATE_TIME: u8 = 0x31;
    /// `resolution`.
    pub const RESOLUTION: u8 = 0x32;
    /// `rangeOfInteger`.
    pub const RANGE: u8 = 0x33;
    /// `begCollection`.
    pub const BEG_COLLECTION: u8 = 0x34;
    /// `textWithLanguage`.
    pub const TEXT_LANG: u8 = 0x35;
    /// `nameWithLanguage`.
    pub const NAME_LANG: u8 = 0x36;
    /// `endCollection`.
    pub const END_COLLECTION: u8 = 0x37;
    /// `textWithoutLanguage`.
    pub const TEXT: u8 = 0x41;
    /// `nameWithoutLanguage`.
    pub const NAME: u8 = 0x42;
    /// `keyword`.
    pub const KEYWORD: u8 = 0x44;
    /// `uri`.
    pub const URI: u8 = 0x45;
    /// `charset`.
    pub const CHARSET: u8 = 0x47;
    /// `naturalLanguage`.
    pub const LANGUAGE: u8 = 0x48;
    /// `mimeMediaType`.
    pub const MIME: u8 = 0x49;
    /// `memberAttrName`.
    pub const MEMBER_NAME: u8 = 0x4a;
}

/// RFC 8011 §5.3.7 `job-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// 3 `pending`.
    Pending,
    /// 4 `pending-held`.
    Held,
    /// 5 `processing`.
    Processing,
    /// 6 `processing-stopped`: the printer stopped (a jam, no paper...).
    Stopped,
    /// 7 `canceled`.
    Canceled,
    /// 8 `aborted`.
    Aborted,
    /// 9 `completed`.
    Completed,
}

impl JobState {
    /// From the enum value; `None` for a value RFC 8011 does not define.
    pub fn from_enum(v: i32) -> Option<JobState> {
        Some(match v {
            3 => JobState::Pending,
            4 => JobState::Held,
            5 => JobState::Processing,
            6 => JobState::Stopped,
            7 => JobState::Canceled,
            8 => JobState::Aborted,
            9 => JobState::Completed,
            _ => return None,
        })
    }

    /// The enum value.
    pub fn to_enum(self) -> i32 {
        match self {
            JobState::Pending => 3,
            JobState::Held => 4,
            JobState::Processing => 5,
            JobState::Stopped => 6,
            JobState::Canceled => 7,
            JobState::Aborted => 8,
            JobState::Completed => 9,
        }
    }

    /// Whether the job has ended (RFC 8011: canceled, aborted, completed).
    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Canceled | JobState::Aborted | JobState::Completed)
    }

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Held => "pending-held",
            JobState::Processing => "processing",
            JobState::Stopped => "processing-stopped",
            JobState::Canceled => "canceled",
            JobState::Aborted => "aborted",
            JobState::Completed => "completed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobState;

    #[test]
    fn job_states_round_trip_through_their_enum_values() {
        for v in 3..=9 {
            let s = JobState::from_enum(v).expect("defined");
            assert_eq!(s.to_enum(), v);
        }
        assert_eq!(JobState::from_enum(2), None);
        assert_eq!(JobState::from_enum(10), None);
        assert!(JobState::Completed.is_terminal() && !JobState::Held.is_terminal());
    }
}
