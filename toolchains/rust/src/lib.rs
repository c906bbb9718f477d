//! rand 0.4's API, as HumanEval-X's Rust tests and their solutions use it, over Debian's
//! rand 0.8 (see ../Cargo.toml for why). Linked as the crate `rand` into every program of
//! the rust-test runtime.
//!
//! Covered: the `Rng` trait with rand 0.4's methods (`gen`, `gen_range(low, high)`,
//! `gen_weighted_bool`, `gen_iter`, `gen_ascii_chars`, `choose`, `choose_mut`,
//! `shuffle`, `next_u32`, `next_u64`, `next_f32`, `next_f64`, `fill_bytes`), `random()`,
//! `thread_rng()`, `ThreadRng`, `StdRng` and `sample()`. The values come from rand 0.8's
//! generators and distributions, so a seeded sequence differs from rand 0.4's; the tests
//! that use randomness check properties, not sequences.

use rand08::distributions::uniform::SampleUniform;
use rand08::distributions::{Alphanumeric, Distribution, Standard};
use rand08::seq::SliceRandom;

pub use rand08::rngs::{StdRng, ThreadRng};

/// rand 0.4's `Rng`. Not a subtrait of rand 0.8's `RngCore`, so a method call on a
/// generic `R: Rng` never finds two candidates of the same name.
pub trait Rng {
    fn next_u32(&mut self) -> u32;
    fn next_u64(&mut self) -> u64;
    fn fill_bytes(&mut self, dest: &mut [u8]);

    fn next_f32(&mut self) -> f32 {
        Standard.sample(&mut Core(self))
    }
    fn next_f64(&mut self) -> f64 {
        Standard.sample(&mut Core(self))
    }
    /// A random value of any type rand 0.8's `Standard` distribution covers.
    fn gen<T>(&mut self) -> T
    where
        Standard: Distribution<T>,
    {
        Standard.sample(&mut Core(self))
    }
    /// Endless random values.
    fn gen_iter<T>(&mut self) -> Generator<'_, T, Self>
    where
        Standard: Distribution<T>,
    {
        Generator { rng: self, marker: std::marker::PhantomData }
    }
    /// A value in [low, high); panics when low >= high, as rand 0.4 does.
    fn gen_range<T: SampleUniform + PartialOrd>(&mut self, low: T, high: T) -> T {
        assert!(low < high, "Rng.gen_range called with low >= high");
        rand08::Rng::gen_range(&mut Core(self), low..high)
    }
    /// True with probability 1/n (always when n <= 1).
    fn gen_weighted_bool(&mut self, n: u32) -> bool {
        n <= 1 || self.gen_range(0, n) == 0
    }
    /// Endless random ASCII letters and digits.
    fn gen_ascii_chars(&mut self) -> AsciiGenerator<'_, Self> {
        AsciiGenerator { rng: self }
    }
    fn choose<'a, T>(&mut self, values: &'a [T]) -> Option<&'a T> {
        values.choose(&mut Core(self))
    }
    fn choose_mut<'a, T>(&mut self, values: &'a mut [T]) -> Option<&'a mut T> {
        values.choose_mut(&mut Core(self))
    }
    fn shuffle<T>(&mut self, values: &mut [T]) {
        values.shuffle(&mut Core(self))
    }
}

impl<R: rand08::RngCore + ?Sized> Rng for R {
    fn next_u32(&mut self) -> u32 {
        rand08::RngCore::next_u32(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand08::RngCore::next_u64(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand08::RngCore::fill_bytes(self, dest)
    }
}

/// Any `Rng` seen as rand 0.8's `RngCore`, for its distributions.
struct Core<'a, R: Rng + ?Sized>(&'a mut R);

impl<R: Rng + ?Sized> rand08::RngCore for Core<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand08::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

/// `Rng::gen_iter`'s iterator.
pub struct Generator<'a, T, R: Rng + ?Sized> {
    rng: &'a mut R,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T, R: Rng + ?Sized> Iterator for Generator<'_, T, R>
where
    Standard: Distribution<T>,
{
    type Item = T;
    fn next(&mut self) -> Option<T> {
        Some(self.rng.gen())
    }
}

/// `Rng::gen_ascii_chars`'s iterator.
pub struct AsciiGenerator<'a, R: Rng + ?Sized> {
    rng: &'a mut R,
}

impl<R: Rng + ?Sized> Iterator for AsciiGenerator<'_, R> {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        Some(char::from(Alphanumeric.sample(&mut Core(self.rng))))
    }
}

/// A random value from the thread's generator.
pub fn random<T>() -> T
where
    Standard: Distribution<T>,
{
    rand08::random()
}

/// The thread's generator, seeded from the operating system.
pub fn thread_rng() -> ThreadRng {
    rand08::thread_rng()
}

/// `amount` elements of `iterable`, chosen at random (fewer when it has fewer).
pub fn sample<T, I, R>(rng: &mut R, iterable: I, amount: usize) -> Vec<T>
where
    I: IntoIterator<Item = T>,
    R: Rng + ?Sized,
{
    rand08::seq::IteratorRandom::choose_multiple(iterable.into_iter(), &mut Core(rng), amount)
}
