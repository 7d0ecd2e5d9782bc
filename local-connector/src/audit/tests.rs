use super::*;

const KEY: [u8; 32] = [7; 32];

fn entry(actor: &str, action: &str) -> Entry {
    Entry::new(actor, "admin", "127.0.0.1", action).target("job-1")
}

fn filled(n: u64) -> (tempfile::TempDir, AuditLog) {
    let dir = tempfile::tempdir().expect("ok");
    let log = AuditLog::open(dir.path(), KEY).expect("ok");
    for i in 0..n {
        let actor = if i % 3 == 0 { "alice" } else { "bob" };
        let action = if i % 2 == 0 { "job.delete" } else { "console.sign-in" };
        assert_eq!(log.append(entry(actor, action)).expect("ok"), i + 1);
    }
    (dir, log)
}

fn lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("log")).expect("ok").lines().map(str::to_owned).collect()
}

#[test]
fn an_intact_chain_verifies_and_survives_reopening() {
    let (dir, log) = filled(10);
    assert_eq!(verify(dir.path(), &KEY), Ok(Verified { records: 10 }));
    assert!(matches!(log.check(), ChainStatus::Intact { records: 10, .. }));
    drop(log);
    let log = AuditLog::open(dir.path(), KEY).expect("ok");
    assert_eq!(log.len(), 10);
    assert_eq!(log.append(entry("carol", "badge.bind")).expect("ok"), 11);
    assert_eq!(verify(dir.path(), &KEY), Ok(Verified { records: 11 }));
    // An empty folder is an intact, empty log.
    let empty = tempfile::tempdir().expect("ok");
    assert_eq!(verify(empty.path(), &KEY), Ok(Verified { records: 0 }));
}

#[test]
fn a_changed_byte_names_its_record() {
    let (dir, _log) = filled(10);
    let path = dir.path().join("log");
    let mut bytes = std::fs::read(&path).expect("ok");
    let at = lines(dir.path())[..6].iter().map(|l| l.len() + 1).sum::<usize>() + 40;
    bytes[at] ^= 0x01;
    std::fs::write(&path, bytes).expect("ok");
    let b = verify(dir.path(), &KEY).expect_err("broken");
    assert_eq!((b.record, b.line), (7, 7), "{b}");
}

#[test]
fn removed_inserted_reordered_and_cut_records_show() {
    let (dir, _log) = filled(5);
    let original = lines(dir.path());
    let write = |ls: &[String]| std::fs::write(dir.path().join("log"), ls.join("\n") + "\n").expect("ok");

    let mut removed = original.clone();
    removed.remove(2);
    write(&removed);
    assert_eq!(verify(dir.path(), &KEY).expect_err("broken").record, 3);

    let mut swapped = original.clone();
    swapped.swap(1, 3);
    write(&swapped);
    assert_eq!(verify(dir.path(), &KEY).expect_err("broken").record, 2);

    let mut forged = original.clone();
    forged[4] = forged[4].replace("bob", "eve").replace("alice", "eve");
    write(&forged);
    assert_eq!(verify(dir.path(), &KEY).expect_err("broken").record, 5);

    // The last two cut off: the chain is intact, but the head knows better.
    write(&original[..3]);
    let b = verify(dir.path(), &KEY).expect_err("broken");
    assert_eq!(b.record, 4, "{b}");
    assert!(b.why.contains("5 were written"), "{b}");

    write(&original);
    assert!(verify(dir.path(), &KEY).is_ok());
    // Under another key, nothing verifies.
    assert_eq!(verify(dir.path(), &[8; 32]).expect_err("broken").record, 0);
}

#[test]
fn a_record_torn_by_a_crash_is_dropped_and_the_chain_goes_on() {
    let (dir, log) = filled(3);
    drop(log);
    // A fourth record half written, head never updated: never acknowledged.
    let mut f = OpenOptions::new().append(true).open(dir.path().join("log")).expect("ok");
    std::io::Write::write_all(&mut f, b"{\"seq\":4,\"at_ms\":1,\"act").expect("ok");
    drop(f);
    let log = AuditLog::open(dir.path(), KEY).expect("ok");
    assert_eq!(log.len(), 3);
    assert_eq!(log.append(entry("alice", "job.delete")).expect("ok"), 4);
    assert_eq!(verify(dir.path(), &KEY), Ok(Verified { records: 4 }));
}

#[test]
fn a_record_written_before_a_kill_but_not_its_head_is_kept() {
    let (dir, log) = filled(3);
    let head = std::fs::read(dir.path().join("head")).expect("ok");
    log.append(entry("alice", "job.delete")).expect("ok");
    drop(log);
    std::fs::write(dir.path().join("head"), head).expect("ok");
    let log = AuditLog::open(dir.path(), KEY).expect("ok");
    assert_eq!(log.len(), 4);
    assert_eq!(verify(dir.path(), &KEY), Ok(Verified { records: 4 }));
}

#[test]
fn a_lost_index_is_rebuilt_from_the_log() {
    let (dir, log) = filled(20);
    drop(log);
    std::fs::remove_dir_all(dir.path().join("index")).expect("ok");
    let log = AuditLog::open(dir.path(), KEY).expect("ok");
    let page = log.page(&Query { actor: Some("alice".into()), limit: 100, ..Query::default() }).expect("ok");
    assert_eq!(page.records.len(), 7);
}

#[test]
fn pages_filter_by_actor_action_and_time_newest_first() {
    let (_dir, log) = filled(30);
    let all = log.page(&Query { limit: 10, ..Query::default() }).expect("ok");
    assert_eq!(all.records.iter().map(|r| r.seq).collect::<Vec<_>>(), (21..=30).rev().collect::<Vec<_>>());
    assert_eq!(all.next, Some(21));
    let older = log.page(&Query { limit: 10, before: all.next, ..Query::default() }).expect("ok");
    assert_eq!(older.records.first().map(|r| r.seq), Some(20));

    let q = Query { actor: Some("alice".into()), action: Some("job.delete".into()), limit: 100, ..Query::default() };
    let page = log.page(&q).expect("ok");
    // alice: i % 3 == 0; job.delete: i % 2 == 0; so i % 6 == 0, seq = i + 1.
    assert_eq!(page.records.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![25, 19, 13, 7, 1]);
    assert_eq!(page.next, None);
    let actions = log.page(&Query { action: Some("console.sign-in".into()), limit: 100, ..Query::default() });
    assert_eq!(actions.expect("ok").records.len(), 15);
    // Nobody by that name; a prefix of a name is not the name.
    assert!(
        log.page(&Query { actor: Some("al".into()), limit: 10, ..Query::default() }).expect("ok").records.is_empty()
    );

    let future = now_ms() + 60_000;
    let none = log.page(&Query { from_ms: Some(future), limit: 10, ..Query::default() }).expect("ok");
    assert!(none.records.is_empty());
    let until = log.page(&Query { to_ms: Some(future), limit: 100, ..Query::default() }).expect("ok");
    assert_eq!(until.records.len(), 30);
    let before = log.page(&Query { to_ms: Some(1), limit: 100, ..Query::default() }).expect("ok");
    assert!(before.records.is_empty());
}

#[test]
fn long_fields_are_cut_and_the_line_stays_readable() {
    let dir = tempfile::tempdir().expect("ok");
    let log = AuditLog::open(dir.path(), KEY).expect("ok");
    let e = entry("alice", "setting.change").outcome("ok", &"x\t\n\"".repeat(5_000));
    log.append(e).expect("ok");
    assert!(verify(dir.path(), &KEY).is_ok());
    let r = &log.page(&Query { limit: 1, ..Query::default() }).expect("ok").records[0];
    assert!(r.detail.len() < 4_100, "{}", r.detail.len());
}

#[test]
fn a_snapshot_taken_mid_append_is_consistent() {
    let (dir, log) = filled(3);
    drop(log);
    // A fourth record written, its head not yet: the snapshot leaves it out.
    let mut f = OpenOptions::new().append(true).open(dir.path().join("log")).expect("open");
    std::io::Write::write_all(&mut f, b"{\"seq\":4}\tabcd\n").expect("write");
    let (head, log) = snapshot(dir.path()).expect("snapshot");
    let copy = tempfile::tempdir().expect("tempdir");
    std::fs::write(copy.path().join("head"), head).expect("head");
    std::fs::write(copy.path().join("log"), log).expect("log");
    assert_eq!(verify(copy.path(), &KEY), Ok(Verified { records: 3 }));
    let empty = tempfile::tempdir().expect("tempdir");
    assert_eq!(snapshot(empty.path()).expect("snapshot"), (Vec::new(), Vec::new()));
}

#[test]
fn a_batch_chains_like_single_appends() {
    let (dir, log) = filled(3);
    let last = log.append_all((0..100).map(|i| entry(if i % 2 == 0 { "alice" } else { "carol" }, "job.release")));
    assert_eq!(last.expect("batch"), 103);
    log.append(entry("bob", "job.delete")).expect("one more");
    assert_eq!(verify(dir.path(), &KEY), Ok(Verified { records: 104 }));
    let carol = log.page(&Query { actor: Some("carol".into()), limit: 500, ..Query::default() }).expect("page");
    assert_eq!(carol.records.len(), 50);
}
