//! Prometheus metrics (`/metrics`, text exposition format).
//!
//! Labels are bounded: route templates (never raw paths), status codes, error codes.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    point: String,
    action: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SmsLabels {
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CeremonyLabels {
    ceremony: String,
    outcome: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ])
}

/// The service's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    ceremonies: Family<CeremonyLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    sms: Family<SmsLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("anshin");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let ceremonies = Family::<CeremonyLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            latency.clone(),
        );
        registry.register(
            "ceremonies",
            "Finished WebAuthn ceremonies by kind and outcome (ok or an error code)",
            ceremonies.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        let sms = Family::<SmsLabels, Counter>::default();
        registry.register(
            "risk_decisions",
            "Risk decisions by decision point and action",
            decisions.clone(),
        );
        registry.register(
            "sms",
            "SMS one-time codes: sent, verified, or blocked with the reason code",
            sms.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            requests,
            latency,
            ceremonies,
            decisions,
            sms,
        }
    }
}

impl Metrics {
    /// Records one HTTP request.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Records the outcome of a ceremony (`ok` or an error code).
    pub fn ceremony(&self, ceremony: &str, outcome: &str) {
        self.ceremonies
            .get_or_create(&CeremonyLabels {
                ceremony: ceremony.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Records a risk decision.
    pub fn risk_decision(&self, point: &str, action: &str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                point: point.to_owned(),
                action: action.to_owned(),
            })
            .inc();
    }

    /// Records an SMS outcome (`sent`, `verified`, or a block reason code).
    pub fn sms(&self, outcome: &str) {
        self.sms
            .get_or_create(&SmsLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}
