import Foundation
import GRDB
import SMSCodec
import SwiftletDomain

/// The store's schema, as the migrations that build it, oldest first. A migration is never changed
/// once released: a database made by any release migrates to the newest schema, keeping every row.
extension SQLiteStore {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-messages-and-users") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outgoing (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        recipient TEXT NOT NULL,
                        text TEXT NOT NULL,
                        priority INTEGER NOT NULL DEFAULT 0,
                        unicode INTEGER NOT NULL DEFAULT 0,
                        flash INTEGER NOT NULL DEFAULT 0,
                        state TEXT NOT NULL
                            CHECK (state IN ('queued', 'claimed', 'submitting', 'sent', 'failed')),
                        created_by TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        not_before REAL NOT NULL,
                        sent_at REAL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        owner TEXT,
                        lease_until REAL,
                        message_references TEXT NOT NULL DEFAULT '',
                        parts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        modem TEXT
                    );
                    CREATE INDEX outgoing_due ON outgoing (state, priority DESC, not_before, id);
                    CREATE INDEX outgoing_recipient ON outgoing (recipient);
                    CREATE TABLE incoming (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sender TEXT NOT NULL,
                        text TEXT NOT NULL,
                        sent_at REAL NOT NULL,
                        received_at REAL NOT NULL,
                        smsc TEXT,
                        unicode INTEGER NOT NULL DEFAULT 0,
                        modem TEXT NOT NULL,
                        unread INTEGER NOT NULL DEFAULT 1
                    );
                    CREATE INDEX incoming_sender ON incoming (sender);
                    CREATE TABLE api_user (
                        name TEXT PRIMARY KEY,
                        permissions TEXT NOT NULL,
                        password_hash TEXT,
                        created_at REAL NOT NULL
                    );
                    CREATE TABLE access_token (
                        token_hash BLOB PRIMARY KEY,
                        user_name TEXT NOT NULL REFERENCES api_user (name) ON DELETE CASCADE,
                        created_at REAL NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("2-incoming-parts") { db in
            // Parts of concatenated messages, kept until the last one arrives (or they time out).
            try db.execute(
                sql: """
                    CREATE TABLE incoming_part (
                        sender TEXT NOT NULL,
                        modem TEXT NOT NULL,
                        reference INTEGER NOT NULL,
                        total INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        text TEXT NOT NULL,
                        sent_at REAL NOT NULL,
                        received_at REAL NOT NULL,
                        smsc TEXT,
                        unicode INTEGER NOT NULL,
                        PRIMARY KEY (sender, modem, reference, total, sequence)
                    );
                    """
            )
        }
        migrator.registerMigration("3-delivery-reports") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outgoing ADD COLUMN delivery TEXT CHECK (delivery IN ('pending', 'delivered', 'failed'));
                    ALTER TABLE outgoing ADD COLUMN delivered_at REAL;
                    CREATE INDEX outgoing_sent_by_modem ON outgoing (modem, state, sent_at);
                    CREATE TABLE delivery_report (
                        message_id INTEGER NOT NULL REFERENCES outgoing (id) ON DELETE CASCADE,
                        reference INTEGER NOT NULL,
                        status INTEGER NOT NULL,
                        at REAL NOT NULL,
                        PRIMARY KEY (message_id, reference)
                    );
                    """
            )
        }
        migrator.registerMigration("4-modem-numbers") { db in
            try db.execute(sql: "ALTER TABLE outgoing ADD COLUMN modem_no INTEGER")
        }
        migrator.registerMigration("5-phonebook-and-plugin-state") { db in
            try db.execute(
                sql: """
                    CREATE TABLE contact (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL COLLATE NOCASE,
                        number TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX contact_number ON contact (number);
                    CREATE INDEX contact_name ON contact (name);
                    CREATE TABLE contact_group (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        created_at REAL NOT NULL
                    );
                    CREATE TABLE group_member (
                        group_id INTEGER NOT NULL REFERENCES contact_group (id) ON DELETE CASCADE,
                        contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
                        added_at REAL NOT NULL,
                        PRIMARY KEY (group_id, contact_id)
                    );
                    CREATE TABLE plugin_state (
                        plugin TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value BLOB NOT NULL,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (plugin, key)
                    );
                    """
            )
        }
        migrator.registerMigration("6-ussd-and-modem-settings") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outgoing ADD COLUMN kind TEXT NOT NULL DEFAULT 'sms' CHECK (kind IN ('sms', 'ussd', 'binary', 'mms'));
                    CREATE TABLE modem_setting (
                        modem TEXT PRIMARY KEY,
                        enabled INTEGER NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("7-user-ids-and-phonebook-visibility") { db in
            // APIv1 names users by number (uid, userid_read) and phonebook entries are public or private.
            try db.execute(
                sql: """
                    ALTER TABLE api_user ADD COLUMN id INTEGER;
                    UPDATE api_user SET id = rowid;
                    CREATE UNIQUE INDEX api_user_id ON api_user (id);
                    ALTER TABLE contact ADD COLUMN public INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE contact ADD COLUMN owner_id INTEGER;
                    ALTER TABLE contact_group ADD COLUMN public INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE contact_group ADD COLUMN owner_id INTEGER;
                    """
            )
        }
        migrator.registerMigration("8-shifts-and-vacation") { db in
            let days = Shift.dayNames.map { "\($0)_from TEXT, \($0)_to TEXT" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    CREATE TABLE shift (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL,
                        enabled INTEGER NOT NULL DEFAULT 1,
                        \(days),
                        owner_id INTEGER,
                        created_at REAL NOT NULL
                    );
                    CREATE TABLE shift_member (
                        shift_id INTEGER NOT NULL REFERENCES shift (id) ON DELETE CASCADE,
                        contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
                        PRIMARY KEY (shift_id, contact_id)
                    );
                    ALTER TABLE contact ADD COLUMN vacation INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        migrator.registerMigration("9-binary-messages") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outgoing ADD COLUMN udh TEXT;
                    ALTER TABLE outgoing ADD COLUMN message_class INTEGER;
                    """
            )
        }
        migrator.registerMigration("10-validity-windows-oid") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outgoing ADD COLUMN validity TEXT;
                    ALTER TABLE outgoing ADD COLUMN oid TEXT;
                    ALTER TABLE outgoing ADD COLUMN send_after INTEGER;
                    ALTER TABLE outgoing ADD COLUMN send_before INTEGER;
                    CREATE INDEX outgoing_oid ON outgoing (recipient, id) WHERE oid IS NOT NULL;
                    ALTER TABLE incoming ADD COLUMN oid TEXT;
                    """
            )
        }
        migrator.registerMigration("11-user-levels") { db in
            // `admin` users see every user's private phonebook entries; `user` only their own.
            try db.execute(
                sql:
                    "ALTER TABLE api_user ADD COLUMN level TEXT NOT NULL DEFAULT 'user' CHECK (level IN ('admin', 'user'))"
            )
        }
        migrator.registerMigration("12-mms-attachments") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outgoing_attachment (
                        message_id INTEGER NOT NULL REFERENCES outgoing (id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        content_type TEXT NOT NULL,
                        content BLOB NOT NULL,
                        PRIMARY KEY (message_id, position)
                    );
                    """
            )
        }
        migrator.registerMigration("13-custom-folders") { db in
            // SMSEagle's "My Folders": received messages filed away from the inbox.
            try db.execute(
                sql: """
                    CREATE TABLE custom_folder (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        created_at REAL NOT NULL
                    );
                    ALTER TABLE incoming ADD COLUMN folder_id INTEGER REFERENCES custom_folder (id) ON DELETE SET NULL;
                    """
            )
        }
        migrator.registerMigration("14-rules") { db in
            // Rules changed through the API (a NULL definition only switches a configured rule on or
            // off), every firing of a rule, and escalations; the last two as JSON records.
            try db.execute(
                sql: """
                    CREATE TABLE rule (
                        name TEXT PRIMARY KEY,
                        definition TEXT,
                        enabled INTEGER NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE rule_firing (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        rule TEXT NOT NULL,
                        at REAL NOT NULL,
                        key TEXT,
                        record TEXT NOT NULL
                    );
                    CREATE INDEX rule_firing_rule ON rule_firing (rule, key, at);
                    CREATE TABLE escalation (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        rule TEXT NOT NULL,
                        active INTEGER NOT NULL,
                        record TEXT NOT NULL
                    );
                    CREATE INDEX escalation_active ON escalation (active) WHERE active;
                    """
            )
        }
        migrator.registerMigration("15-plugin-health") { db in
            // What each plugin last reported about its health (ABI 1.2), for `swiftlet plugins list`.
            try db.execute(
                sql: """
                    CREATE TABLE plugin_health (
                        plugin TEXT PRIMARY KEY,
                        state TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        since REAL NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("16-send-keys") { db in
            // Idempotency keys of queued requests (a plugin's `key`, ABI 1.2): the ids they got.
            try db.execute(
                sql: """
                    CREATE TABLE send_key (
                        key TEXT PRIMARY KEY,
                        ids TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX send_key_created_at ON send_key (created_at);
                    """
            )
        }
        migrator.registerMigration("17-partial-modem-index") { db in
            // Only messages a modem has taken have a modem: queued messages (a 100,000-member group
            // send) no longer each add an entry to this index.
            try db.execute(
                sql: """
                    DROP INDEX outgoing_sent_by_modem;
                    CREATE INDEX outgoing_sent_by_modem ON outgoing (modem, state, sent_at) WHERE modem IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("18-events") { db in
            // The event log: every received message and every status change of an outgoing one, written
            // by triggers in the transaction that makes the change, so none is lost or invented. Webhooks
            // and Pixie's stream read it. The number, text and error are copied: an event outlives a
            // message deleted before its webhook was delivered.
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL CHECK (kind IN ('incoming', 'outgoing')),
                        message_id INTEGER NOT NULL,
                        status TEXT CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
                        user TEXT,
                        number TEXT NOT NULL,
                        text TEXT NOT NULL,
                        modem TEXT,
                        detail TEXT,
                        at REAL NOT NULL
                    );
                    CREATE INDEX event_message ON event (message_id, kind);
                    CREATE INDEX event_at ON event (at);
                    CREATE TRIGGER event_incoming AFTER INSERT ON incoming BEGIN
                        INSERT INTO event (kind, message_id, number, text, modem, at)
                        VALUES ('incoming', NEW.id, NEW.sender, NEW.text, NEW.modem, NEW.received_at);
                    END;
                    CREATE TRIGGER event_queued AFTER INSERT ON outgoing BEGIN
                        INSERT INTO event (kind, message_id, status, user, number, text, modem, at)
                        VALUES ('outgoing', NEW.id, 'queued', NEW.created_by, NEW.recipient, NEW.text, NULL,
                                NEW.created_at);
                    END;
                    CREATE TRIGGER event_sent_or_failed AFTER UPDATE OF state ON outgoing
                    WHEN NEW.state IN ('sent', 'failed') AND OLD.state IS NOT NEW.state BEGIN
                        INSERT INTO event (kind, message_id, status, user, number, text, modem, detail, at)
                        VALUES ('outgoing', NEW.id, NEW.state, NEW.created_by, NEW.recipient, NEW.text, NEW.modem,
                                CASE NEW.state WHEN 'failed' THEN NEW.last_error END, NEW.updated_at);
                    END;
                    CREATE TRIGGER event_delivery AFTER UPDATE OF delivery ON outgoing
                    WHEN NEW.delivery IN ('delivered', 'failed') AND OLD.delivery IS NOT NEW.delivery BEGIN
                        INSERT INTO event (kind, message_id, status, user, number, text, modem, detail, at)
                        VALUES ('outgoing', NEW.id, NEW.delivery, NEW.created_by, NEW.recipient, NEW.text, NEW.modem,
                                CASE NEW.delivery WHEN 'failed' THEN 'the network reported it undeliverable' END,
                                COALESCE(NEW.delivered_at, NEW.updated_at));
                    END;
                    CREATE TABLE stream_cursor (
                        user TEXT PRIMARY KEY,
                        last_event INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("19-webhooks") { db in
            // Webhooks and their delivery queue. A webhook's place in the event log (`last_event`)
            // moves in the transaction that queues its deliveries, so every event is queued once.
            // `message_key` (kind:id) keeps one message's events in order.
            try db.execute(
                sql: """
                    CREATE TABLE webhook (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user TEXT NOT NULL,
                        url TEXT NOT NULL,
                        events TEXT NOT NULL,
                        format TEXT NOT NULL,
                        method TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        api_key TEXT,
                        all_users INTEGER NOT NULL DEFAULT 0,
                        last_event INTEGER NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE TABLE webhook_delivery (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        webhook_id INTEGER NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
                        event_id INTEGER NOT NULL,
                        message_key TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_at REAL NOT NULL,
                        last_error TEXT,
                        delivered_at REAL,
                        created_at REAL NOT NULL,
                        UNIQUE (webhook_id, event_id)
                    );
                    CREATE INDEX webhook_delivery_due ON webhook_delivery (state, next_at);
                    CREATE INDEX webhook_delivery_message ON webhook_delivery (webhook_id, message_key, state, id);
                    """
            )
        }
        migrator.registerMigration("20-ring-calls") { db in
            // Wake-up calls (APIv2 calls/ring) are queued like messages, as kind 'ring'.
            try rebuildOutgoing(db) { table in
                let old = "CHECK (kind IN ('sms', 'ussd', 'binary', 'mms'))"
                guard table.contains(old) else { return nil }
                return table.replacingOccurrences(
                    of: old,
                    with: "CHECK (kind IN ('sms', 'ussd', 'binary', 'mms', 'ring'))"
                )
            }
        }
        migrator.registerMigration("21-webhook-scope-from-the-user") { db in
            // Whether a webhook covers every user's messages follows its user's admin level now,
            // rather than a copy taken when it was made.
            try db.execute(sql: "ALTER TABLE webhook DROP COLUMN all_users")
        }
        migrator.registerMigration("22-all-users-grant") { db in
            // "Access to resources of all users": every user's messages without being an admin.
            try db.execute(sql: "ALTER TABLE api_user ADD COLUMN all_users INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("23-typed-payloads") { db in
            // Each kind of message in columns of its own, none overloaded: a binary message's data as
            // octets (`data`, no longer hex in `text`), a USSD code in `ussd_code` (no longer the
            // recipient), a call's seconds in `ring_seconds` (no longer text). Every row is kept.
            try db.execute(
                sql: """
                    ALTER TABLE outgoing ADD COLUMN data BLOB;
                    ALTER TABLE outgoing ADD COLUMN ussd_code TEXT;
                    ALTER TABLE outgoing ADD COLUMN ring_seconds INTEGER;
                    UPDATE outgoing SET ussd_code = recipient WHERE kind = 'ussd';
                    UPDATE outgoing SET ring_seconds = CAST(text AS INTEGER) WHERE kind = 'ring';
                    """
            )
            for row in try Row.fetchAll(db, sql: "SELECT id, text FROM outgoing WHERE kind = 'binary'") {
                let hex: String = row["text"]
                guard let data = Hex.decode(hex) else {
                    throw SwiftletError(.unavailable, "binary message \(row["id"] as Int64) holds '\(hex)', not hex")
                }
                try db.execute(sql: "UPDATE outgoing SET data = ? WHERE id = ?", arguments: [Data(data), row["id"]])
            }
            try rebuildOutgoing(db) { table in
                guard table.contains("recipient TEXT NOT NULL"), table.contains("text TEXT NOT NULL"),
                    table.hasSuffix(")")
                else { return nil }
                return
                    table
                    .replacingOccurrences(of: "recipient TEXT NOT NULL", with: "recipient TEXT")
                    .replacingOccurrences(of: "text TEXT NOT NULL", with: "text TEXT")
                    .dropLast()
                        + """
                        ,
                            CHECK (CASE kind
                                WHEN 'sms' THEN recipient IS NOT NULL AND text IS NOT NULL
                                WHEN 'mms' THEN recipient IS NOT NULL AND text IS NOT NULL
                                WHEN 'binary' THEN recipient IS NOT NULL AND data IS NOT NULL
                                WHEN 'ussd' THEN ussd_code IS NOT NULL
                                WHEN 'ring' THEN recipient IS NOT NULL AND ring_seconds IS NOT NULL
                            END)
                        )
                        """
            }
            // A list's text, as `OutgoingPayload.listedText` words it, for the event log.
            let number = "COALESCE(NEW.recipient, NEW.ussd_code)"
            let text = """
                CASE NEW.kind WHEN 'binary' THEN hex(NEW.data) WHEN 'ussd' THEN NEW.ussd_code
                    WHEN 'ring' THEN CAST(NEW.ring_seconds AS TEXT) ELSE NEW.text END
                """
            try db.execute(
                sql: """
                    UPDATE outgoing SET recipient = NULL, text = NULL WHERE kind = 'ussd';
                    UPDATE outgoing SET text = NULL WHERE kind IN ('binary', 'ring');
                    DROP TRIGGER event_queued;
                    DROP TRIGGER event_sent_or_failed;
                    DROP TRIGGER event_delivery;
                    CREATE TRIGGER event_queued AFTER INSERT ON outgoing BEGIN
                        INSERT INTO event (kind, message_id, status, user, number, text, modem, at)
                        VALUES ('outgoing', NEW.id, 'queued', NEW.created_by, \(number), \(text), NULL,
                                NEW.created_at);
                    END;
                    CREATE TRIGGER event_sent_or_failed AFTER UPDATE OF state ON outgoing
                    WHEN NEW.state IN ('sent', 'failed') AND OLD.state IS NOT NEW.state BEGIN
                        INSERT INTO event (kind, message_id, status, user, number, text, modem, detail, at)
                        VALUES ('outgoing', NEW.id, NEW.state, NEW.created_by, \(number), \(text), NEW.modem,
                                CASE NEW.state WHEN 'failed' THEN NEW.last_error END, NEW.updated_at);
                    END;
                    CREATE TRIGGER event_delivery AFTER UPDATE OF delivery ON outgoing
                    WHEN NEW.delivery IN ('delivered', 'failed') AND OLD.delivery IS NOT NEW.delivery BEGIN
                        INSERT INTO event (kind, message_id, status, user, number, text, modem, detail, at)
                        VALUES ('outgoing', NEW.id, NEW.delivery, NEW.created_by, \(number), \(text), NEW.modem,
                                CASE NEW.delivery WHEN 'failed' THEN 'the network reported it undeliverable' END,
                                COALESCE(NEW.delivered_at, NEW.updated_at));
                    END;
                    """
            )
        }
        migrator.registerMigration("24-voice-calls") { db in
            // Text-to-speech calls a voice provider places (ABI 1.4) are queued like messages, as kind
            // 'call': the text in `text`, the duration in `ring_seconds`, the voice and language in
            // columns of their own, and how the call ended in `call_result`, `call_duration`, `call_digits`.
            try db.execute(
                sql: """
                    ALTER TABLE outgoing ADD COLUMN call_voice INTEGER;
                    ALTER TABLE outgoing ADD COLUMN call_language TEXT;
                    ALTER TABLE outgoing ADD COLUMN call_result TEXT;
                    ALTER TABLE outgoing ADD COLUMN call_duration INTEGER;
                    ALTER TABLE outgoing ADD COLUMN call_digits TEXT;
                    """
            )
            try rebuildOutgoing(db) { table in
                let kinds = "CHECK (kind IN ('sms', 'ussd', 'binary', 'mms', 'ring'))"
                let ring = "WHEN 'ring' THEN recipient IS NOT NULL AND ring_seconds IS NOT NULL"
                guard table.contains(kinds), table.contains(ring) else { return nil }
                return
                    table
                    .replacingOccurrences(
                        of: kinds,
                        with: "CHECK (kind IN ('sms', 'ussd', 'binary', 'mms', 'ring', 'call'))"
                    )
                    .replacingOccurrences(
                        of: ring,
                        with: ring
                            + "\n        WHEN 'call' THEN recipient IS NOT NULL AND text IS NOT NULL AND ring_seconds IS NOT NULL"
                    )
            }
        }
        migrator.registerMigration("25-call-clips") { db in
            // A call may play a recorded clip (APIv2 `calls/wave`) instead of speaking its text.
            try db.execute(sql: "ALTER TABLE outgoing ADD COLUMN call_clip TEXT")
        }
        migrator.registerMigration("26-directory-users") { db in
            // Users made by a directory sign-in (LDAP) name their directory; NULL: a local user.
            try db.execute(sql: "ALTER TABLE api_user ADD COLUMN directory TEXT")
        }
        migrator.registerMigration("27-sensor-history") { db in
            // Sensors' readings (plugins' gauges with a `sensor` label), raw for a while, then averaged.
            try db.execute(
                sql: """
                    CREATE TABLE sensor (name TEXT PRIMARY KEY, unit TEXT NOT NULL DEFAULT '');
                    CREATE TABLE sensor_reading (
                        sensor TEXT NOT NULL,
                        at REAL NOT NULL,
                        value REAL NOT NULL,
                        averaged INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (sensor, at)
                    ) WITHOUT ROWID;
                    """
            )
        }
        registerTransportMigrations(&migrator)
        registerPluginHealthMigrations(&migrator)
        return migrator
    }()

    /// Rebuilds the outgoing table with the schema `edit` makes of its `CREATE TABLE` statement (nil:
    /// not the schema expected), keeping every row, index, trigger and the AUTOINCREMENT counter (ids
    /// are never used twice). SQLite cannot change a column's constraints in place
    /// (sqlite.org/lang_altertable.html, "making other kinds of table schema changes"). Foreign keys
    /// are off during migrations.
    static func rebuildOutgoing(_ db: Database, edit: (String) -> String?) throws {
        guard
            let table = try String.fetchOne(
                db,
                sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outgoing'"
            )
        else { throw SwiftletError(.unavailable, "there is no outgoing table to rebuild") }
        // SQLite quotes the name of a table it renamed, as the previous rebuild did.
        let unquoted = table.replacingOccurrences(of: #"CREATE TABLE "outgoing" ("#, with: "CREATE TABLE outgoing (")
        guard unquoted.hasPrefix("CREATE TABLE outgoing ("), let edited = edit(unquoted) else {
            throw SwiftletError(.unavailable, "the outgoing table is not as this migration expects")
        }
        let dependents = try String.fetchAll(
            db,
            sql: """
                SELECT sql FROM sqlite_master
                WHERE tbl_name = 'outgoing' AND type IN ('index', 'trigger') AND sql IS NOT NULL
                """
        )
        let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outgoing'")
        try db.execute(
            sql: edited.replacingOccurrences(of: "CREATE TABLE outgoing (", with: "CREATE TABLE outgoing_new (")
        )
        try db.execute(sql: "INSERT INTO outgoing_new SELECT * FROM outgoing")
        try db.execute(sql: "DROP TABLE outgoing")
        try db.execute(sql: "ALTER TABLE outgoing_new RENAME TO outgoing")
        for sql in dependents { try db.execute(sql: sql) }
        if let sequence {
            try db.execute(
                sql: "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'outgoing'",
                arguments: [sequence]
            )
            if db.changesCount == 0 {
                try db.execute(
                    sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('outgoing', ?)",
                    arguments: [sequence]
                )
            }
        }
    }
}
