// Package alerts delivers leakwatch alerts to the systems that act on them: Alertmanager
// (v2 API), signed webhooks and Kafka. It decides how an alert travels (deduplication,
// retries with backoff, fan-out to several receivers, metrics), never whether one is raised:
// rules live in analytics/rules.
//
// Delivery is a chain of small stages, each a Notifier, as in Alertmanager's notify package:
//
//	Fanout -> Receiver(name) -> Dedup -> outcome metrics -> Retry -> AlertmanagerNotifier | WebhookNotifier | PublisherNotifier
//
// It must not import kafka-go or the stream package (Kafka is reached through the one-method
// Publisher declared here), nor anything under analytics beyond the root domain types.
package alerts
