use super::*;

fn site() -> SiteKey {
    SiteKey::from_bytes([3u8; 32])
}

fn options(dir: &Path) -> StoreOptions {
    StoreOptions {
        dir: dir.join("store"),
        retention: Duration::from_secs(24 * 3600),
        max_job_bytes: 8 << 20,
        min_free_bytes: 0,
        index_cache_bytes: 8 << 20,
        outbox: None,
    }
}

fn submission(owner: &str, name: &str) -> JobSubmission {
    JobSubmission {
        owner: owner.into(),
        document_name: name.into(),
        pages: Some(3),
        format: "application/pdf".into(),
        copies: 1,
        ..Default::default()
    }
}

fn put(store: &JobStore, owner: &str, body: &[u8]) -> JobMeta {
    let mut w = store.create(submission(owner, "doc.pdf")).expect("create");
    w.write_body(body).expect("write");
    w.commit().expect("commit")
}

fn read_all(store: &JobStore, id: JobId) -> Result<Vec<u8>, StoreError> {
    let mut r = store.read_verified(id)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| StoreError::io("read", e))?;
    Ok(out)
}

#[test]
fn round_trip_and_owner_index() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let a = put(&store, "alice", b"%PDF-1.7 alice");
    let b = put(&store, "bob", &vec![7u8; 200_000]);
    assert_eq!(read_all(&store, a.id).expect("read a"), b"%PDF-1.7 alice");
    assert_eq!(read_all(&store, b.id).expect("read b"), vec![7u8; 200_000]);
    let alice: Vec<_> = store.jobs_of("alice").expect("list").into_iter().map(|m| m.id).collect();
    assert_eq!(alice, vec![a.id]);
    assert_eq!(store.len(), 2);
    assert_eq!(a.size, 14);
    assert!(a.expires_at_ms > a.submitted_at_ms);
}

#[test]
fn usage_per_owner_follows_commits_deletes_and_reopening() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    assert_eq!(store.usage_of("alice").expect("usage"), Usage::default());
    let a1 = put(&store, "alice", &[1u8; 1000]);
    let before = store.usage_of("alice").expect("usage");
    let a2 = put(&store, "alice", &[2u8; 3000]);
    put(&store, "bob", &[3u8; 500]);
    let after = store.usage_of("alice").expect("usage");
    assert_eq!((before.jobs, after.jobs), (1, 2));
    assert_eq!(after.bytes, a1.size + a2.size);
    store.delete(a1.id).expect("delete");
    store.delete(a1.id).ok();
    assert_eq!(store.usage_of("alice").expect("usage"), Usage { jobs: 1, bytes: a2.size, arriving: 0 });
    assert_eq!(store.usage_of("bob").expect("usage").jobs, 1);
    drop(store);
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("reopen");
    assert_eq!(store.usage_of("alice").expect("usage"), Usage { jobs: 1, bytes: a2.size, arriving: 0 });
}

#[test]
fn metadata_and_body_are_not_on_disk_in_clear() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    put(&store, "alice-the-owner", b"TOP-SECRET-MERGER-PLAN");
    store.flush_index().expect("flush");
    drop(store);
    let mut all = Vec::new();
    for e in walk(&d.path().join("store")) {
        all.extend(fs::read(e).expect("read"));
    }
    let hay = String::from_utf8_lossy(&all);
    assert!(!hay.contains("TOP-SECRET"), "body leaked");
    assert!(!hay.contains("alice-the-owner"), "owner leaked");
    assert!(!hay.contains("doc.pdf"), "document name leaked");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn tampered_truncated_and_swapped_bodies_are_never_served() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let body = vec![1u8; 300_000];
    let a = put(&store, "alice", &body);
    let b = put(&store, "alice", &body);
    let c = put(&store, "alice", &body);
    // Flip one byte in the middle of a's body.
    let pa = store.job_path(a.id);
    let mut bytes = fs::read(&pa).expect("read");
    bytes[HEADER_LEN + 100_000] ^= 1;
    fs::write(&pa, &bytes).expect("write");
    assert!(matches!(store.read_verified(a.id), Err(StoreError::Corrupt { .. })));
    // Truncate b.
    let pb = store.job_path(b.id);
    let f = OpenOptions::new().write(true).open(&pb).expect("open");
    f.set_len(150_000).expect("truncate");
    assert!(matches!(store.read_verified(b.id), Err(StoreError::Corrupt { .. })));
    // Put c's file in place of a's.
    fs::copy(store.job_path(c.id), &pa).expect("copy");
    let err = store.read_verified(a.id).expect_err("swap must be detected");
    assert!(err.to_string().contains("another job"), "{err}");
    assert!(read_all(&store, c.id).is_ok());
}

#[test]
fn delete_wipes_the_wrapped_key_before_unlinking() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let m = put(&store, "alice", b"shred me");
    let keep = d.path().join("hardlink");
    fs::hard_link(store.job_path(m.id), &keep).expect("link");
    store.delete(m.id).expect("delete");
    assert!(!store.job_path(m.id).exists());
    assert!(matches!(store.get(m.id), Err(StoreError::NotFound(_))));
    let f = File::open(&keep).expect("open link");
    assert!(matches!(file::open(f, m.id, &store.inner.kek), Ok(Trailer::Shredded)));
    let bytes = fs::read(&keep).expect("read");
    assert!(bytes.ends_with(SHRED_MAGIC));
}

#[test]
fn a_shred_interrupted_before_the_unlink_while_the_job_was_indexed_is_finished_at_open() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let m = put(&store, "alice", b"printed, then the power went");
    let kept = put(&store, "alice", b"still parked");
    // What a crash between the wipe and the unlink leaves: the envelope
    // wiped and marked, the file and its index entry still there.
    let f = OpenOptions::new().write(true).open(store.job_path(m.id)).expect("open job file");
    let len = f.metadata().expect("stat").len();
    f.write_all_at(SHRED_MAGIC, len - SHRED_MAGIC.len() as u64).expect("mark");
    drop(f);
    store.flush_index().expect("flush");
    drop(store);
    let (store, rec) = JobStore::open(options(d.path()), &site()).expect("reopen");
    assert_eq!((rec.shred_finished, rec.stale_index_dropped, rec.quarantined), (1, 0, 0), "{rec:?}");
    assert!(!store.job_path(m.id).exists());
    assert!(matches!(store.get(m.id), Err(StoreError::NotFound(_))));
    let ids: Vec<JobId> = store.jobs_of("alice").expect("list").into_iter().map(|j| j.id).collect();
    assert_eq!(ids, [kept.id], "the shredded job is no longer parked");
    assert_eq!(store.usage_of("alice").expect("usage").jobs, 1);
}

#[test]
fn abandoned_and_oversized_jobs_leave_nothing() {
    let d = tempfile::tempdir().expect("tempdir");
    let mut o = options(d.path());
    o.max_job_bytes = 1000;
    let (store, _) = JobStore::open(o, &site()).expect("open");
    let mut w = store.create(submission("alice", "x")).expect("create");
    w.write_body(&[0u8; 600]).expect("first write fits");
    assert!(matches!(w.write_body(&[0u8; 600]), Err(StoreError::TooLarge { max: 1000 })));
    drop(w);
    let w = store.create(submission("alice", "y")).expect("create");
    drop(w);
    assert_eq!(fs::read_dir(&store.inner.jobs_dir).expect("ls").count(), 0);
    let mut s = submission("alice", "z");
    s.expected_size = Some(5000);
    assert!(matches!(store.create(s), Err(StoreError::TooLarge { .. })));
}

/// Quota was once checked only when a job started, so uploads begun
/// together each saw room and together passed it. Bytes are reserved as
/// they arrive now: the upload that would pass the quota is refused, the
/// others are unharmed, and a refused upload gives its bytes back.
#[test]
fn parallel_uploads_of_one_owner_cannot_pass_their_quota() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let parked = put(&store, "alice", &[1u8; 1000]);
    let quota = |name| JobSubmission { max_owner_bytes: Some(10_000), ..submission("alice", name) };
    let mut writers: Vec<_> = ["a", "b", "c"].map(|n| store.create(quota(n)).expect("create")).into();
    // Round robin, 1000 bytes at a time: 3 × 4000 would pass 10,000 with the
    // 1,000 already parked; each alone would not.
    let mut refused = Vec::new();
    for _ in 0..4 {
        for (i, w) in writers.iter_mut().enumerate() {
            if refused.contains(&i) {
                continue;
            }
            match w.write_body(&[2u8; 1000]) {
                Ok(()) => {}
                Err(StoreError::OverQuota { max: 10_000 }) => refused.push(i),
                Err(e) => panic!("unexpected {e}"),
            }
        }
    }
    assert_eq!(refused, vec![0], "the first upload to pass the quota is refused");
    let u = store.usage_of("alice").expect("usage");
    assert_eq!((u.bytes, u.arriving), (parked.size, 8000), "the refused upload gave back its bytes");
    assert!(matches!(writers[0].write_body(b"x"), Err(StoreError::Io { .. })), "a refused upload stays refused");
    assert_eq!(store.usage_of("alice").expect("usage").arriving, 8000);
    let kept: Vec<_> = writers.drain(1..).map(|w| w.commit().expect("commit")).collect();
    drop(writers);
    let u = store.usage_of("alice").expect("usage");
    assert_eq!(u, Usage { jobs: 3, bytes: parked.size + 8000, arriving: 0 });
    assert!(kept.iter().all(|m| m.size == 4000));
    // Other owners are not affected by alice's quota.
    let mut w = store.create(JobSubmission { max_owner_bytes: Some(10_000), ..submission("bob", "d") }).expect("c");
    w.write_body(&[3u8; 9000]).expect("bob has his own quota");
}

#[test]
fn reserve_refuses_new_jobs_and_keeps_old_ones() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let m = put(&store, "alice", b"old");
    drop(store);
    let mut o = options(d.path());
    o.min_free_bytes = u64::MAX / 2;
    let (store, _) = JobStore::open(o, &site()).expect("reopen");
    let err = store.create(submission("alice", "new")).expect_err("must refuse");
    assert!(err.to_string().contains("disk is full"), "{err}");
    assert_eq!(read_all(&store, m.id).expect("old job intact"), b"old");
}

#[test]
fn reconcile_rebuilds_a_lost_index_and_clears_debris() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let ids: Vec<_> = (0u8..5).map(|i| put(&store, if i % 2 == 0 { "alice" } else { "bob" }, &[i; 1000]).id).collect();
    let jobs = store.inner.jobs_dir.clone();
    drop(store);
    fs::remove_dir_all(d.path().join("store/index")).expect("lose index");
    fs::write(jobs.join(format!("{}.part", JobId::new())), b"half").expect("debris");
    fs::write(jobs.join("junk.txt"), b"?").expect("junk");
    let (store, rec) = JobStore::open(options(d.path()), &site()).expect("reopen");
    assert_eq!(rec.reindexed, 5);
    assert_eq!(rec.partial_removed, 1);
    assert_eq!(rec.quarantined, 1);
    assert_eq!(store.jobs_of("alice").expect("list").len(), 3);
    for id in ids {
        assert!(read_all(&store, id).is_ok());
    }
    // An index entry whose file vanished is dropped.
    let gone = store.jobs_of("bob").expect("list")[0].id;
    fs::remove_file(store.job_path(gone)).expect("rm");
    drop(store);
    let (store, rec) = JobStore::open(options(d.path()), &site()).expect("reopen");
    assert_eq!(rec.stale_index_dropped, 1);
    assert_eq!(store.jobs_of("bob").expect("list").len(), 1);
}

#[test]
fn corrupt_files_are_quarantined_not_deleted() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let m = put(&store, "alice", b"body");
    let p = store.job_path(m.id);
    drop(store);
    fs::remove_dir_all(d.path().join("store/index")).expect("lose index");
    let mut b = fs::read(&p).expect("read");
    let n = b.len();
    b[n - 20] ^= 0xff; // inside the envelope
    fs::write(&p, b).expect("write");
    let (store, rec) = JobStore::open(options(d.path()), &site()).expect("reopen");
    assert_eq!(rec.quarantined, 1);
    assert!(store.is_empty());
    assert!(d.path().join(format!("store/quarantine/{}.job", m.id)).exists());
}

#[test]
fn wrong_site_key_reads_nothing() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let m = put(&store, "alice", b"body");
    drop(store);
    fs::remove_dir_all(d.path().join("store/index")).expect("lose index");
    let (store, rec) = JobStore::open(options(d.path()), &SiteKey::from_bytes([4u8; 32])).expect("reopen");
    assert_eq!(rec.quarantined, 1);
    assert!(matches!(store.read(m.id), Err(StoreError::NotFound(_))));
}

#[test]
fn retention_sweeper_shreds_expired_jobs_only() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let mut s = submission("alice", "short");
    s.retention = Some(Duration::from_millis(1));
    let mut w = store.create(s).expect("create");
    w.write_body(b"x").expect("write");
    let short = w.commit().expect("commit");
    let long = put(&store, "alice", b"y");
    let n = store.sweep_expired(short.expires_at_ms).expect("sweep");
    assert_eq!(n, 1);
    assert!(!store.job_path(short.id).exists());
    assert!(store.get(long.id).is_ok());
}

#[test]
fn concurrent_writers_share_commits() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let handles: Vec<_> = (0u8..8)
        .map(|t| {
            let s = store.clone();
            std::thread::spawn(move || (0u8..20).map(|i| put(&s, "alice", &[t, i]).id).collect::<Vec<_>>())
        })
        .collect();
    let ids: Vec<JobId> = handles.into_iter().flat_map(|h| h.join().expect("join")).collect();
    assert_eq!(ids.len(), 160);
    assert_eq!(store.jobs_of("alice").expect("list").len(), 160);
}

/// Usage records were kept for ever, so the index (and the memory its cache
/// takes) grew without end; those older than the history retention go.
#[test]
fn usage_history_older_than_its_retention_is_forgotten() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let t = |recorded_ms: u64| Transaction {
        device: "lobby".into(),
        user: Some("alice".into()),
        kind: "copy".into(),
        pages: 1,
        colour_pages: 0,
        duplex: false,
        at_ms: recorded_ms,
        recorded_ms,
        synced: false,
    };
    store.record_transactions(&[t(1_000), t(2_000), t(5_000), t(9_000)]).expect("record");
    assert_eq!(store.prune_history(5_000).expect("prune"), 2);
    let left: Vec<u64> = store.transactions_since(0, 100).expect("read").iter().map(|t| t.recorded_ms).collect();
    assert_eq!(left, vec![5_000, 9_000]);
    assert_eq!(store.prune_history(5_000).expect("again"), 0);
}

#[test]
fn browsing_pages_newest_first_by_owner_state_and_printer() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(put(&store, if i % 3 == 0 { "alice" } else { "bob" }, b"%PDF-1.7").id);
    }
    // Ids order by their millisecond, then at random within one: newest first is id order reversed.
    let mut newest_first = ids.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    let page = store.browse(&JobFilter { limit: 5, ..JobFilter::default() }).expect("browse");
    assert_eq!(page.jobs.iter().map(|j| j.meta.id).collect::<Vec<_>>(), newest_first[..5]);
    let rest = store.browse(&JobFilter { limit: 50, before: page.next, ..JobFilter::default() }).expect("browse");
    assert_eq!(rest.jobs.iter().map(|j| j.meta.id).collect::<Vec<_>>(), newest_first[5..]);
    assert_eq!(rest.next, None);

    let alice = store.browse(&JobFilter { owner: Some("alice".into()), limit: 50, ..JobFilter::default() });
    let alice: Vec<_> = alice.expect("browse").jobs.iter().map(|j| j.meta.id).collect();
    let mut expected = vec![ids[9], ids[6], ids[3], ids[0]];
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(alice, expected);

    store.request_release(ids[3], "d-lobby", "alice").expect("queue");
    let queued = store.browse(&JobFilter { state: Some(JobState::Queued), limit: 50, ..JobFilter::default() });
    let queued = queued.expect("browse").jobs;
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].meta.id, queued[0].device.as_deref()), (ids[3], Some("d-lobby")));
    let elsewhere = JobFilter { device: Some("d-other".into()), limit: 50, ..JobFilter::default() };
    assert!(store.browse(&elsewhere).expect("browse").jobs.is_empty());

    // Time bounds: nothing submitted in the future, everything before it.
    let later = crate::clock::now_ms() + 60_000;
    let none = JobFilter { from_ms: Some(later), limit: 50, ..JobFilter::default() };
    assert!(store.browse(&none).expect("browse").jobs.is_empty());
    let all = JobFilter { to_ms: Some(later), limit: 50, ..JobFilter::default() };
    assert_eq!(store.browse(&all).expect("browse").jobs.len(), 12);
}

#[test]
fn release_history_pages_newest_first_and_filters() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    for i in 0..7i32 {
        let m = put(&store, if i % 2 == 0 { "alice" } else { "bob" }, b"%PDF-1.7");
        let rec = ReleaseRecord {
            job: m.id,
            owner: m.owner.clone(),
            by: m.owner.clone(),
            document_name: "doc.pdf".into(),
            device: "d-lobby".into(),
            pages: Some(1),
            copies: 1,
            color: ColorMode::Monochrome,
            transport: "ipps".into(),
            uri: "ipps://printer/ipp/print".into(),
            printer_job: Some(i),
            outcome: "failed".into(),
            detail: Some("unreachable".into()),
            at_ms: 1_000 + u64::try_from(i).expect("small"),
            synced: false,
            sides: Sides::OneSided,
        };
        store.finish_release(&rec, None).expect("record");
    }
    let first = store.release_history(&HistoryFilter { limit: 3, ..HistoryFilter::default() }).expect("history");
    assert_eq!(first.releases.iter().map(|r| r.at_ms).collect::<Vec<_>>(), vec![1_006, 1_005, 1_004]);
    let next = HistoryFilter { limit: 10, before: first.next, ..HistoryFilter::default() };
    let next = store.release_history(&next).expect("history");
    assert_eq!(next.releases.iter().map(|r| r.at_ms).collect::<Vec<_>>(), vec![1_003, 1_002, 1_001, 1_000]);
    let bob = HistoryFilter { owner: Some("bob".into()), limit: 10, ..HistoryFilter::default() };
    assert_eq!(store.release_history(&bob).expect("history").releases.len(), 3);
    let span = HistoryFilter { from_ms: Some(1_002), to_ms: Some(1_004), limit: 10, ..HistoryFilter::default() };
    assert_eq!(store.release_history(&span).expect("history").releases.len(), 2);
}

#[test]
fn a_shorter_retention_applies_at_once_and_a_longer_one_to_new_jobs() {
    let d = tempfile::tempdir().expect("tempdir");
    let (store, _) = JobStore::open(options(d.path()), &site()).expect("open");
    let old = put(&store, "alice", b"%PDF-1.7");
    assert_eq!(old.expires_at_ms - old.submitted_at_ms, 24 * 3600 * 1000);
    assert_eq!(store.set_retention(Duration::from_secs(3600)).expect("shorter"), 1);
    assert_eq!(store.get(old.id).expect("get").expires_at_ms, old.submitted_at_ms + 3600 * 1000);
    let new = put(&store, "alice", b"%PDF-1.7");
    assert_eq!(new.expires_at_ms - new.submitted_at_ms, 3600 * 1000);
    // Longer: only new jobs.
    assert_eq!(store.set_retention(Duration::from_secs(7200)).expect("longer"), 0);
    assert_eq!(store.get(old.id).expect("get").expires_at_ms, old.submitted_at_ms + 3600 * 1000);
    assert_eq!(store.retention(), Duration::from_secs(7200));
    // Brought forward into the past: the sweeper shreds it.
    store.set_retention(Duration::from_millis(1)).expect("now");
    assert_eq!(store.sweep_expired(crate::clock::now_ms() + 10).expect("sweep"), 2);
}
