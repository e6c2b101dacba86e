// Package stream carries leakwatch records over Kafka: topic names, a versioned JSON codec,
// a producer, a consumer-group runner that commits only after its handler succeeded, and the
// dead-letter topic for records a stage cannot decode or process.
//
// It is the only package that imports a Kafka client (segmentio/kafka-go); callers see
// Message, Record and Handler, never kafka-go types. It imports the root package only (its
// subpackage stages connects it to analytics/pipeline); analytics and the root must never
// import it.
package stream
