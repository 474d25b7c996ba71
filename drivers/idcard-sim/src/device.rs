//! The reader's behaviour without I/O: a request (or a damaged frame) in,
//! the reply frame out.
//!
//! Modelled on what public drivers and vendor notes say a SAM reader does:
//!
//! * find (`20 01`): `9F` and four zero bytes while a card is in the field,
//!   `80` ("no card") otherwise; a successful find arms select.
//! * select (`20 02`): `90` and the card's 8-byte serial after a successful
//!   find of the same card; `81` without a card or without a find.
//! * read text (`30 01`), with fingerprint (`30 10`), extra address (`30 03`):
//!   only after a select of the card still in the field, otherwise `41`
//!   ("read failed"). The read replies carry the text block, a dummy
//!   1024-byte photo and (with fingerprint) 1024 dummy fingerprint bytes;
//!   the extra address is always `91` (absent).
//! * Taking the card away, placing another, a find that finds nothing and a
//!   SAM reset all forget the select.
//! * reset, SAM status, SAM id (16 bytes), set baud: `90`. Set baud is
//!   answered at the old speed; the caller switches afterwards.
//! * A frame with a bad checksum gets `10`, a length field out of range `11`,
//!   an unknown command or parameter `21`.
//! * Injected failures ([`crate::SimControl::fail_command`]) win over all of
//!   the above and leave the select state unchanged.

use kiosk_idcard::codec::{Baud, Command, FrameError, Request, Sw3, encode_reply};

use crate::samples::SampleCard;

/// The simulated SAM's 16-byte identity: reads as
/// `05.01-20240101-0000012345-0000067890`.
pub const SAM_ID: [u8; 16] = [
    0x05, 0x00, 0x01, 0x00, 0xE5, 0xD6, 0x34, 0x01, 0x39, 0x30, 0x00, 0x00, 0x32, 0x09, 0x01, 0x00,
];

/// Length of the dummy photo (a real card holds a 1024-byte WLT image).
pub const PHOTO_LEN: usize = 1024;
/// Length of the dummy fingerprint data.
pub const FINGERPRINT_LEN: usize = 1024;

/// Where the card in the field stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Idle,
    /// Found; `u64` is the placement the find saw.
    Found(u64),
    Selected(u64),
}

/// What the reader sees when a request arrives.
pub(crate) struct Field<'a> {
    /// The card and its placement number (bumped on every place/remove).
    pub card: Option<(&'a SampleCard, u64)>,
    /// Sticky injected failures.
    pub failures: &'a [(Command, Sw3)],
}

/// The reply to send and what to do after it.
pub(crate) struct Outcome {
    pub reply: Vec<u8>,
    /// Switch the line to this speed once the reply is out.
    pub new_baud: Option<Baud>,
}

/// The reader's state between requests.
pub(crate) struct Reader {
    stage: Stage,
}

impl Reader {
    pub(crate) fn new() -> Self {
        Reader { stage: Stage::Idle }
    }

    /// The reply to a frame the decoder rejected.
    pub(crate) fn answer_bad_frame(&mut self, err: &FrameError) -> Outcome {
        let sw3 = match err {
            FrameError::BadChecksum { .. } => Sw3::HostChecksumError,
            FrameError::LengthOutOfRange(_) => Sw3::LengthError,
        };
        status(sw3)
    }

    /// The reply to a frame too short to hold `CMD PARA`.
    pub(crate) fn answer_short_frame(&mut self) -> Outcome {
        status(Sw3::LengthError)
    }

    pub(crate) fn answer(&mut self, request: &Request, field: &Field<'_>) -> Outcome {
        let Some(command) = request.command() else {
            return status(Sw3::BadCommand);
        };
        if let Some(&(_, sw3)) = field.failures.iter().find(|(c, _)| *c == command) {
            return status(sw3);
        }
        // A select or find of a card that has since been replaced is void.
        let epoch = field.card.map(|(_, e)| e);
        match self.stage {
            Stage::Found(e) | Stage::Selected(e) if Some(e) != epoch => self.stage = Stage::Idle,
            _ => {}
        }
        match command {
            Command::ResetSam => {
                self.stage = Stage::Idle;
                status(Sw3::Ok)
            }
            Command::SamStatus => status(Sw3::Ok),
            Command::SamId => reply(Sw3::Ok, &SAM_ID),
            Command::FindCard => match field.card {
                Some((_, e)) => {
                    self.stage = Stage::Found(e);
                    reply(Sw3::CardFound, &[0; 4])
                }
                None => {
                    self.stage = Stage::Idle;
                    status(Sw3::NoCard)
                }
            },
            Command::SelectCard => match (field.card, self.stage) {
                (Some((card, e)), Stage::Found(_) | Stage::Selected(_)) => {
                    self.stage = Stage::Selected(e);
                    reply(Sw3::Ok, &card.serial)
                }
                _ => status(Sw3::SelectFailed),
            },
            Command::ReadText | Command::ReadTextWithFingerprint => {
                match (field.card, self.stage) {
                    (Some((card, _)), Stage::Selected(_)) => reply(
                        Sw3::Ok,
                        &read_data(card, command == Command::ReadTextWithFingerprint),
                    ),
                    _ => status(Sw3::ReadFailed),
                }
            }
            Command::ReadExtraAddress => match self.stage {
                Stage::Selected(_) => status(Sw3::ItemAbsent),
                _ => status(Sw3::ReadFailed),
            },
            Command::SetBaud(baud) => Outcome {
                reply: encode_reply(Sw3::Ok.to_byte(), &[]),
                new_baud: Some(baud),
            },
        }
    }
}

fn status(sw3: Sw3) -> Outcome {
    reply(sw3, &[])
}

fn reply(sw3: Sw3, data: &[u8]) -> Outcome {
    Outcome {
        reply: encode_reply(sw3.to_byte(), data),
        new_baud: None,
    }
}

/// Data of a read reply: length fields, text, photo (and fingerprint).
fn read_data(card: &SampleCard, with_fingerprint: bool) -> Vec<u8> {
    let text = &card.text.0;
    let mut data = Vec::with_capacity(6 + text.len() + PHOTO_LEN + FINGERPRINT_LEN);
    data.extend_from_slice(&(text.len() as u16).to_be_bytes());
    data.extend_from_slice(&(PHOTO_LEN as u16).to_be_bytes());
    if with_fingerprint {
        data.extend_from_slice(&(FINGERPRINT_LEN as u16).to_be_bytes());
    }
    data.extend_from_slice(text);
    data.extend(dummy_bytes(PHOTO_LEN, 0x57));
    if with_fingerprint {
        data.extend(dummy_bytes(FINGERPRINT_LEN, 0x46));
    }
    data
}

/// Filler for the photo and fingerprint: a fixed pattern with no meaning
/// (no image, no biometric data).
fn dummy_bytes(len: usize, seed: u8) -> impl Iterator<Item = u8> {
    (0..len).map(move |i| (i as u8).wrapping_mul(37).wrapping_add(seed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;
    use kiosk_idcard::codec::{FrameDecoder, Reply, interpret, parse_reply};

    fn request(command: Command) -> Request {
        let (cmd, para) = command.cmd_para();
        Request {
            cmd,
            para,
            data: Vec::new(),
        }
    }

    fn ask(reader: &mut Reader, command: Command, field: &Field<'_>) -> Result<Reply, Sw3> {
        let out = reader.answer(&request(command), field);
        let mut dec = FrameDecoder::new();
        dec.push(&out.reply);
        let frame = dec.next_frame().unwrap().unwrap();
        assert_eq!(dec.buffered(), 0);
        let raw = parse_reply(&frame).unwrap();
        let sw3 = raw.sw3;
        interpret(command, raw).map_err(|_| sw3)
    }

    #[test]
    fn read_requires_find_then_select() {
        let card = samples::by_key("resident").unwrap();
        let field = Field {
            card: Some((&card, 1)),
            failures: &[],
        };
        let mut r = Reader::new();
        assert_eq!(ask(&mut r, Command::ReadText, &field), Err(Sw3::ReadFailed));
        assert_eq!(
            ask(&mut r, Command::SelectCard, &field),
            Err(Sw3::SelectFailed)
        );
        assert_eq!(ask(&mut r, Command::FindCard, &field), Ok(Reply::CardFound));
        assert_eq!(
            ask(&mut r, Command::ReadExtraAddress, &field),
            Err(Sw3::ReadFailed)
        );
        assert_eq!(
            ask(&mut r, Command::SelectCard, &field),
            Ok(Reply::CardSelected {
                serial: card.serial
            })
        );
        assert_eq!(
            ask(&mut r, Command::ReadText, &field),
            Ok(Reply::CardText(card.text.clone()))
        );
        assert_eq!(
            ask(&mut r, Command::ReadTextWithFingerprint, &field),
            Ok(Reply::CardText(card.text.clone()))
        );
        assert_eq!(
            ask(&mut r, Command::ReadExtraAddress, &field),
            Ok(Reply::ExtraAddress(None))
        );
    }

    #[test]
    fn replacing_the_card_forgets_the_select() {
        let card = samples::by_key("resident").unwrap();
        let mut r = Reader::new();
        let first = Field {
            card: Some((&card, 1)),
            failures: &[],
        };
        ask(&mut r, Command::FindCard, &first).unwrap();
        ask(&mut r, Command::SelectCard, &first).unwrap();
        let again = Field {
            card: Some((&card, 2)),
            failures: &[],
        };
        assert_eq!(ask(&mut r, Command::ReadText, &again), Err(Sw3::ReadFailed));
        let none = Field {
            card: None,
            failures: &[],
        };
        assert_eq!(ask(&mut r, Command::FindCard, &none), Err(Sw3::NoCard));
        assert_eq!(
            ask(&mut r, Command::SelectCard, &none),
            Err(Sw3::SelectFailed)
        );
    }

    #[test]
    fn replies_have_the_reference_sizes() {
        let card = samples::by_key("resident").unwrap();
        let field = Field {
            card: Some((&card, 1)),
            failures: &[],
        };
        let mut r = Reader::new();
        let len = |r: &mut Reader, c| r.answer(&request(c), &field).reply.len();
        assert_eq!(len(&mut r, Command::ResetSam), 11);
        assert_eq!(len(&mut r, Command::SamId), 27);
        assert_eq!(len(&mut r, Command::FindCard), 15);
        assert_eq!(len(&mut r, Command::SelectCard), 19);
        let read = r.answer(&request(Command::ReadText), &field).reply;
        assert_eq!(read.len(), 1295);
        assert_eq!(
            &read[5..14],
            &[0x05, 0x08, 0x00, 0x00, 0x90, 0x01, 0x00, 0x04, 0x00]
        );
        let fp = r
            .answer(&request(Command::ReadTextWithFingerprint), &field)
            .reply;
        assert_eq!(fp.len(), 1295 + 2 + 1024);
    }

    #[test]
    fn unknown_commands_and_bad_frames_get_their_status() {
        let field = Field {
            card: None,
            failures: &[],
        };
        let mut r = Reader::new();
        let bad = Request {
            cmd: 0x01,
            para: 0xFF,
            data: Vec::new(),
        };
        assert_eq!(r.answer(&bad, &field).reply[9], 0x21);
        let out = r.answer_bad_frame(&FrameError::BadChecksum {
            expected: 1,
            actual: 2,
        });
        assert_eq!(out.reply[9], 0x10);
        assert_eq!(
            r.answer_bad_frame(&FrameError::LengthOutOfRange(9000))
                .reply[9],
            0x11
        );
    }

    #[test]
    fn injected_failures_win_and_set_baud_is_reported() {
        let card = samples::by_key("resident").unwrap();
        let failures = [(Command::FindCard, Sw3::SamNotAuthorized)];
        let field = Field {
            card: Some((&card, 1)),
            failures: &failures,
        };
        let mut r = Reader::new();
        assert_eq!(
            ask(&mut r, Command::FindCard, &field),
            Err(Sw3::SamNotAuthorized)
        );
        let out = r.answer(&request(Command::SetBaud(Baud::B9600)), &field);
        assert_eq!(out.new_baud, Some(Baud::B9600));
        assert_eq!(out.reply[9], 0x90);
    }
}
