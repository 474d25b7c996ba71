-- The legal-information library as imported by kiosk-library's search index.
-- The files under assets/content stay the source of truth; these tables are
-- a copy for search, replaced whole whenever the content hash changes.

-- Key/value facts about the import, e.g. the content hash it was built from.
CREATE TABLE content_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE content_category (
    slug     TEXT PRIMARY KEY,
    position INTEGER NOT NULL UNIQUE,   -- order on the category grid
    name     TEXT NOT NULL,
    blurb    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE content_article (
    doc      INTEGER PRIMARY KEY,       -- library order; search's stable tiebreak
    id       TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL REFERENCES content_category (slug),
    title    TEXT NOT NULL,
    keywords TEXT NOT NULL,             -- one keyword per line
    summary  TEXT NOT NULL,
    body     TEXT NOT NULL              -- plain text, one block per line
);
CREATE INDEX content_article_category ON content_article (category, doc);

-- The inverted index: one row per term (for titles and keywords a Han
-- character, a pinyin syllable "f:hun", initial "i:h" or initial pair
-- "j:h.y", a word "w:12348"; for bodies "~" and a character or word),
-- holding the sorted positions where it occurs, delta-encoded as varints.
-- kiosk-library's terms and postings modules define the format.
CREATE TABLE content_term (
    term     TEXT PRIMARY KEY,
    postings BLOB NOT NULL
);
