use std::sync::{Arc, Mutex};

use bedrud_ports::MockMediaServer;
use mockall::Sequence;

use super::*;
use crate::room_testkit::{lk_down, recording_sleep};
use crate::testkit::block_on;

fn plan(event: TeardownEvent) -> RoomTeardown {
    RoomTeardown {
        room_name: "abc".into(),
        event,
    }
}

#[test]
fn payloads_match_the_contract() {
    let ended: serde_json::Value =
        serde_json::from_slice(&lifecycle_payload(TeardownEvent::RoomEnded)).expect("json");
    assert_eq!(
        ended,
        serde_json::json!({"type":"system","event":"room_ended",
            "message":"The meeting has been ended by the creator"})
    );
    let closed: serde_json::Value =
        serde_json::from_slice(&lifecycle_payload(TeardownEvent::RoomClosed)).expect("json");
    assert_eq!(
        closed,
        serde_json::json!({"type":"system","event":"room_closed",
            "message":"This room has been closed by an administrator"})
    );
}

#[test]
fn message_then_delay_then_delete() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut media = MockMediaServer::new();
    let mut seq = Sequence::new();
    media
        .expect_send_data()
        .withf(|room, topic, payload| {
            room == "abc"
                && topic == "system"
                && *payload == lifecycle_payload(TeardownEvent::RoomClosed)
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    media
        .expect_delete_room()
        .withf(|room| room == "abc")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let report = block_on(run_teardown(
        &media,
        &plan(TeardownEvent::RoomClosed),
        recording_sleep(&log),
    ));
    assert!(report.send_error.is_none() && report.delete_error.is_none());
    assert_eq!(*log.lock().expect("log"), vec![Duration::from_millis(400)]);
}

#[test]
fn failures_are_reported_and_do_not_stop_the_delete() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut media = MockMediaServer::new();
    media.expect_send_data().returning(|_, _, _| Err(lk_down()));
    media
        .expect_delete_room()
        .times(1)
        .returning(|_| Err(lk_down()));
    let report = block_on(run_teardown(
        &media,
        &plan(TeardownEvent::RoomEnded),
        recording_sleep(&log),
    ));
    assert!(report.send_error.is_some());
    assert!(report.delete_error.is_some());
}

#[test]
fn a_room_not_running_is_no_failure() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut media = MockMediaServer::new();
    media
        .expect_send_data()
        .returning(|_, _, _| Err(MediaError::NotFound));
    media
        .expect_delete_room()
        .times(1)
        .returning(|_| Err(MediaError::NotFound));
    let report = block_on(run_teardown(
        &media,
        &plan(TeardownEvent::RoomEnded),
        recording_sleep(&log),
    ));
    assert!(report.send_error.is_none() && report.delete_error.is_none());
}

#[test]
fn disabled_media_skips_everything() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut media = MockMediaServer::new();
    media
        .expect_send_data()
        .times(1)
        .returning(|_, _, _| Err(MediaError::Disabled));
    media.expect_delete_room().never();
    let report = block_on(run_teardown(
        &media,
        &plan(TeardownEvent::RoomEnded),
        recording_sleep(&log),
    ));
    assert!(report.send_error.is_none() && report.delete_error.is_none());
    assert!(log.lock().expect("log").is_empty());
}
