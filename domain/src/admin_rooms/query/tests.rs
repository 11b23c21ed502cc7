use bedrud_ports::{CountBucket, Order, RoomQuery, RoomSort, RoomStatus};
use chrono::{TimeDelta, TimeZone, Utc};

use super::*;
use crate::testkit::{assert_err, t0};

fn validate(p: RoomListParams) -> DomainResult<ValidatedRoomQuery> {
    validate_room_query(&p, t0())
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn defaults() {
    let v = validate(RoomListParams::default()).expect("valid");
    assert_eq!((v.page, v.limit), (1, 50));
    assert_eq!(
        v.query,
        RoomQuery {
            limit: 50,
            ..RoomQuery::default()
        }
    );
    assert_eq!(v.query.sort, RoomSort::CreatedAt);
    assert_eq!(v.query.order, Order::Desc);
}

#[test]
fn every_filter_is_parsed() {
    let v = validate(RoomListParams {
        page: some("3"),
        limit: some("10"),
        q: some(" 50%_off "),
        owner: some("ann@example.org"),
        visibility: some("private"),
        status: some("active, archived,active"),
        occupancy: some("6-20"),
        capacity: some("bogus-but-ignored"),
        date_from: some("2026-01-01T00:00:00Z"),
        created: some("also-ignored"),
        last_activity_from: some("2026-02-01T12:00:00+02:00"),
        last_activity_to: some("not a date"),
        sort: some("participantsCount"),
        order: some("asc"),
        ..RoomListParams::default()
    })
    .expect("valid");
    let q = v.query;
    assert_eq!((v.page, v.limit, q.offset, q.limit), (3, 10, 20, 10));
    assert_eq!(q.q.as_deref(), Some("50%_off"));
    assert_eq!(q.owner.as_deref(), Some("ann@example.org"));
    assert_eq!(q.public, Some(false));
    assert_eq!(q.statuses, vec![RoomStatus::Active, RoomStatus::Archived]);
    assert_eq!(q.occupancy, Some(CountBucket::SixToTwenty));
    assert_eq!(q.capacity, None);
    assert_eq!(
        q.created_from,
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single()
    );
    assert_eq!(q.created_to, None);
    assert_eq!(
        q.activity_from,
        Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 0).single()
    );
    assert_eq!(q.activity_to, None);
    assert_eq!(q.sort, RoomSort::ParticipantsCount);
    assert_eq!(q.order, Order::Asc);
}

#[test]
fn aliases_apply_when_the_main_name_is_absent() {
    let v = validate(RoomListParams {
        search: some("team"),
        created_by: some("bob"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(v.query.q.as_deref(), Some("team"));
    assert_eq!(v.query.owner.as_deref(), Some("bob"));

    let v = validate(RoomListParams {
        q: some("main"),
        search: some("alias"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(v.query.q.as_deref(), Some("main"));
}

#[test]
fn both_visibilities_mean_no_filter() {
    let v = validate(RoomListParams {
        visibility: some("public,private"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(v.query.public, None);
    let v = validate(RoomListParams {
        visibility: some("public"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(v.query.public, Some(true));
}

#[test]
fn buckets_and_created() {
    for (raw, bucket) in [
        ("empty", CountBucket::Empty),
        ("1-5", CountBucket::OneToFive),
        ("6-20", CountBucket::SixToTwenty),
        ("20+", CountBucket::OverTwenty),
    ] {
        let v = validate(RoomListParams {
            capacity: some(raw),
            ..RoomListParams::default()
        })
        .expect("valid");
        assert_eq!(v.query.capacity, Some(bucket));
    }
    let v = validate(RoomListParams {
        created: some("7d"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(v.query.created_from, Some(t0() - TimeDelta::days(7)));
    // An unparsable dateFrom does not count as given.
    let v = validate(RoomListParams {
        created: some("today"),
        date_from: some("yesterday"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(
        v.query.created_from,
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single()
    );
    let v = validate(RoomListParams {
        created: some("30d"),
        date_to: some("2026-02-01T00:00:00Z"),
        ..RoomListParams::default()
    })
    .expect("valid");
    assert_eq!(v.query.created_from, None);
    assert!(v.query.created_to.is_some());
}

#[test]
fn invalid_values_give_the_contract_messages() {
    let cases = [
        (
            RoomListParams {
                visibility: some("public,hidden"),
                ..RoomListParams::default()
            },
            "Invalid visibility: hidden",
        ),
        (
            RoomListParams {
                status: some("live"),
                ..RoomListParams::default()
            },
            "Invalid status: live",
        ),
        (
            RoomListParams {
                occupancy: some("5-10"),
                ..RoomListParams::default()
            },
            "Invalid occupancy filter",
        ),
        (
            RoomListParams {
                capacity: some("lots"),
                ..RoomListParams::default()
            },
            "Invalid capacity filter",
        ),
        (
            RoomListParams {
                created: some("1y"),
                ..RoomListParams::default()
            },
            "Invalid created filter",
        ),
        (
            RoomListParams {
                sort: some("expiresAt"),
                ..RoomListParams::default()
            },
            "Invalid sort field",
        ),
        (
            RoomListParams {
                order: some("up"),
                ..RoomListParams::default()
            },
            "Invalid order, must be asc or desc",
        ),
    ];
    for (params, msg) in cases {
        assert_err(validate(params), "invalid", msg);
    }
}

#[test]
fn every_sort_key() {
    for (raw, sort) in [
        ("name", RoomSort::Name),
        ("createdAt", RoomSort::CreatedAt),
        ("maxParticipants", RoomSort::MaxParticipants),
        ("participantsCount", RoomSort::ParticipantsCount),
        ("lastActivityAt", RoomSort::LastActivityAt),
        ("createdBy", RoomSort::CreatedBy),
    ] {
        let v = validate(RoomListParams {
            sort: some(raw),
            ..RoomListParams::default()
        })
        .expect("valid");
        assert_eq!(v.query.sort, sort);
    }
}
