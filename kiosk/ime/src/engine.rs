//! The key-by-key state machine the on-screen keyboard drives.
//!
//! The UI owns the text field; the engine owns only what is being composed.
//! Every tap goes through [`Engine::press`], which returns the [`Edit`] to
//! apply to the focused field and updates the state to draw (composition,
//! candidate page, shift). Keeping the field out of the engine means the
//! engine never has to mirror cursor positions or selections, and the same
//! engine serves every field on every screen.

use std::sync::Arc;

use crate::convert::{Conversion, convert};
use crate::dict::Dictionary;

/// Candidates per page unless [`Engine::set_page_size`] says otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 8;
/// Letters a composition can hold; further letters are ignored. Nobody
/// types more pinyin than this without picking a candidate, and the bound
/// keeps conversion time per key small.
pub const MAX_COMPOSITION: usize = 32;

/// What the letter keys produce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Letters compose pinyin; candidates convert it to Chinese.
    #[default]
    Pinyin,
    /// Letters go straight into the field; shift gives one capital.
    Latin,
    /// Only 0–9 and `X` (the check digit of ID numbers), for ID-number and
    /// phone fields.
    Digits,
}

/// A tap on the on-screen keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A letter key. In pinyin mode ASCII letters compose (capitals are
    /// typed literally) and any other printable character, e.g. `，`, ends
    /// the composition and is inserted after it; in Latin mode any printable
    /// character is inserted, so symbol keys can be sent this way too.
    Letter(char),
    /// A digit key, 0–9; larger values are ignored.
    Digit(u8),
    Space,
    Backspace,
    /// Enter / confirm.
    Enter,
    /// One-shot shift: the next letter is a capital.
    Shift,
    /// The candidate at this index of the current page.
    Candidate(usize),
    NextPage,
    PrevPage,
}

/// What to do to the focused text field after a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Edit {
    /// Nothing (the key only changed the engine's state, or was ignored).
    None,
    /// Insert this text at the cursor.
    Insert(String),
    /// Delete the character before the cursor.
    DeleteBackward,
    /// Enter with nothing composing: the field's own Enter action (submit a
    /// single-line field, new line in a multi-line one).
    Enter,
}

/// A conversion offered in the candidate bar.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// The Chinese text inserted when it is picked.
    pub text: String,
    /// How many composing letters it stands for, from the start. Less than
    /// the composition's length for a partial candidate: picking it leaves
    /// the remaining letters composing.
    pub consumed: usize,
}

/// The input engine behind one on-screen keyboard.
pub struct Engine {
    dict: Arc<Dictionary>,
    mode: Mode,
    shifted: bool,
    composition: String,
    conversion: Conversion,
    page: usize,
    page_size: usize,
    page_items: Vec<Candidate>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("mode", &self.mode)
            .field("shifted", &self.shifted)
            .field("composition", &self.composition)
            .field("page", &self.page)
            .field("page_items", &self.page_items)
            .finish()
    }
}

impl Engine {
    /// An engine in [`Mode::Pinyin`] using `dict` for conversion.
    pub fn new(dict: Arc<Dictionary>) -> Engine {
        Engine {
            dict,
            mode: Mode::Pinyin,
            shifted: false,
            composition: String::new(),
            conversion: Conversion::default(),
            page: 0,
            page_size: DEFAULT_PAGE_SIZE,
            page_items: Vec::new(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Switches mode, e.g. when a field asks for [`Mode::Digits`] or the user
    /// taps the mode key. Letters still composing are committed as typed (so
    /// nothing typed is lost), shift is released. Setting the current mode
    /// changes nothing. When focus moves to another field, call
    /// [`Engine::reset`] first: the composition belongs to the old field.
    pub fn set_mode(&mut self, mode: Mode) -> Edit {
        if mode == self.mode {
            return Edit::None;
        }
        let raw = std::mem::take(&mut self.composition);
        self.mode = mode;
        self.shifted = false;
        self.refresh();
        insert(raw)
    }

    /// Discards the composition and shift state (e.g. on focus change or
    /// when the screen is left); keeps the mode.
    pub fn reset(&mut self) {
        self.composition.clear();
        self.shifted = false;
        self.refresh();
    }

    /// Candidates per page (at least 1).
    pub fn set_page_size(&mut self, size: usize) {
        self.page_size = size.clamp(1, 64);
        self.page = 0;
        self.fill_page();
    }

    /// Handles one tap and says how to change the focused field.
    pub fn press(&mut self, key: Key) -> Edit {
        match self.mode {
            Mode::Pinyin => self.press_pinyin(key),
            Mode::Latin => self.press_latin(key),
            Mode::Digits => press_digits(key),
        }
    }

    /// The raw letters being composed (`hunyin`), e.g. for searching while
    /// the user is still typing. Empty when not composing.
    pub fn composition(&self) -> &str {
        &self.composition
    }

    /// The composition with `'` between syllables (`hun'yin`), segmented the
    /// way the first candidate reads it, for the composition line.
    pub fn display_composition(&self) -> &str {
        if self.composition.is_empty() {
            ""
        } else {
            &self.conversion.display
        }
    }

    pub fn is_composing(&self) -> bool {
        !self.composition.is_empty()
    }

    /// Whether the next letter will be a capital (for drawing the keys).
    pub fn is_shifted(&self) -> bool {
        self.shifted
    }

    /// The current page of candidates, best first.
    pub fn candidates(&self) -> &[Candidate] {
        &self.page_items
    }

    /// Zero-based index of the current candidate page.
    pub fn page(&self) -> usize {
        self.page
    }

    pub fn has_next_page(&self) -> bool {
        (self.page + 1).saturating_mul(self.page_size) < self.conversion.hits.len()
    }

    pub fn has_prev_page(&self) -> bool {
        self.page > 0
    }

    fn press_pinyin(&mut self, key: Key) -> Edit {
        match key {
            Key::Letter(c) if c.is_ascii_alphabetic() => {
                if self.shifted || c.is_ascii_uppercase() {
                    // A capital is literal text, not pinyin.
                    self.shifted = false;
                    let mut text = self.take_raw();
                    text.push(c.to_ascii_uppercase());
                    return insert(text);
                }
                if self.composition.len() < MAX_COMPOSITION {
                    self.composition.push(c.to_ascii_lowercase());
                    self.refresh();
                }
                Edit::None
            }
            Key::Letter(c) if c.is_control() => Edit::None,
            Key::Letter(c) => {
                // Punctuation ends the composition: 你好 + ，
                self.shifted = false;
                let mut text = self.take_converted();
                text.push(c);
                insert(text)
            }
            Key::Digit(d) => match digit(d) {
                Some(d) => {
                    let mut text = self.take_converted();
                    text.push(d);
                    insert(text)
                }
                None => Edit::None,
            },
            Key::Space if self.is_composing() => {
                if self.page_items.is_empty() {
                    insert(self.take_raw())
                } else {
                    self.pick(0)
                }
            }
            Key::Space => insert(" ".to_owned()),
            Key::Backspace if self.is_composing() => {
                self.composition.pop();
                self.refresh();
                Edit::None
            }
            Key::Backspace => Edit::DeleteBackward,
            Key::Enter if self.is_composing() => insert(self.take_raw()),
            Key::Enter => Edit::Enter,
            Key::Shift => {
                self.shifted = !self.shifted;
                Edit::None
            }
            Key::Candidate(index) => self.pick(index),
            Key::NextPage => {
                if self.has_next_page() {
                    self.page += 1;
                    self.fill_page();
                }
                Edit::None
            }
            Key::PrevPage => {
                if self.has_prev_page() {
                    self.page -= 1;
                    self.fill_page();
                }
                Edit::None
            }
        }
    }

    fn press_latin(&mut self, key: Key) -> Edit {
        match key {
            Key::Letter(c) if c.is_control() => Edit::None,
            Key::Letter(c) => {
                let text = if std::mem::take(&mut self.shifted) {
                    c.to_uppercase().collect()
                } else {
                    c.to_string()
                };
                insert(text)
            }
            Key::Digit(d) => digit(d).map_or(Edit::None, |d| insert(d.to_string())),
            Key::Space => insert(" ".to_owned()),
            Key::Backspace => Edit::DeleteBackward,
            Key::Enter => Edit::Enter,
            Key::Shift => {
                self.shifted = !self.shifted;
                Edit::None
            }
            Key::Candidate(_) | Key::NextPage | Key::PrevPage => Edit::None,
        }
    }

    /// Commits the candidate at `index` of the current page.
    fn pick(&mut self, index: usize) -> Edit {
        let Some(candidate) = self.page_items.get(index) else {
            return Edit::None;
        };
        let text = candidate.text.clone();
        let consumed = match candidate.consumed {
            0 => self.composition.len(),
            n => n.min(self.composition.len()),
        };
        self.composition.drain(..consumed);
        self.refresh();
        insert(text)
    }

    /// Ends the composition, returning its letters as typed.
    fn take_raw(&mut self) -> String {
        let raw = std::mem::take(&mut self.composition);
        self.refresh();
        raw
    }

    /// Ends the composition, returning the best conversion of all of it, or
    /// the letters as typed when no candidate covers them all.
    fn take_converted(&mut self) -> String {
        let whole = self
            .conversion
            .hits
            .first()
            .filter(|hit| hit.consumed == self.composition.len())
            .map(|hit| self.conversion.text(&self.dict, hit).to_owned());
        let raw = self.take_raw();
        whole.unwrap_or(raw)
    }

    fn refresh(&mut self) {
        self.conversion = if self.composition.is_empty() {
            Conversion::default()
        } else {
            convert(&self.dict, &self.composition)
        };
        self.page = 0;
        self.fill_page();
    }

    fn fill_page(&mut self) {
        let start = self.page.saturating_mul(self.page_size);
        let end = start.saturating_add(self.page_size);
        let hits = self
            .conversion
            .hits
            .get(start..end.min(self.conversion.hits.len()));
        self.page_items.clear();
        for hit in hits.unwrap_or(&[]) {
            self.page_items.push(Candidate {
                text: self.conversion.text(&self.dict, hit).to_owned(),
                consumed: hit.consumed,
            });
        }
    }
}

fn press_digits(key: Key) -> Edit {
    match key {
        Key::Letter('x' | 'X') => insert("X".to_owned()),
        Key::Digit(d) => digit(d).map_or(Edit::None, |d| insert(d.to_string())),
        Key::Backspace => Edit::DeleteBackward,
        Key::Enter => Edit::Enter,
        Key::Letter(_)
        | Key::Space
        | Key::Shift
        | Key::Candidate(_)
        | Key::NextPage
        | Key::PrevPage => Edit::None,
    }
}

fn digit(d: u8) -> Option<char> {
    (d <= 9).then(|| char::from(b'0' + d))
}

fn insert(text: String) -> Edit {
    if text.is_empty() {
        Edit::None
    } else {
        Edit::Insert(text)
    }
}
