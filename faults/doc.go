// Package faults holds the fault tests of the whole monitor: they run the built leakwatch
// binary's roles (process, sink, alert, replay) as processes against the real services and
// break things underneath them — a role killed with SIGKILL, ClickHouse stopped for a minute,
// the Kafka broker restarted, a receiver down, poisoned records, two members of a stage — then
// check what a user would: every post stored once, the same detections as the batch analysis,
// every alert delivered, every bad record dead-lettered with its reason.
//
// They stop and start services, so they run only when LEAKWATCH_FAULTS=1, one package at a
// time (`make test-faults`), after the other tests. Services they stop are private instances
// on their own ports; the shared ones are never stopped. Nothing here is imported.
package faults
