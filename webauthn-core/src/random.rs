//! Randomness, injected by the caller so that tests can be deterministic.

use crate::error::{Error, OtherError};

/// A source of cryptographically secure random bytes.
pub trait RandomSource: Send + Sync {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    /// When the source is unavailable.
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's random number generator (through `ring`).
#[derive(Debug)]
pub struct SystemRandom(ring::rand::SystemRandom);

impl Default for SystemRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemRandom {
    /// A handle to the system random number generator.
    #[must_use]
    pub fn new() -> Self {
        Self(ring::rand::SystemRandom::new())
    }
}

impl RandomSource for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        ring::rand::SecureRandom::fill(&self.0, dest)
            .map_err(|_| Error::Other(OtherError::RandomUnavailable))
    }
}
