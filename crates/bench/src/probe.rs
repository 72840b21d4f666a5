//! What Linux's /proc tells about a process and the machine: memory, CPU time, load. Each
//! reader returns `None` where /proc is missing or says something unexpected, so the
//! benchmark still runs elsewhere, only reporting less.

use crate::report::Machine;

/// The kernel's user-visible clock tick (`USER_HZ`), fixed at 100 on Linux for /proc.
const TICKS_PER_SECOND: f64 = 100.0;

/// A `kB` field of `/proc/PID/status`, e.g. `VmRSS` (resident now) or `VmHWM` (peak resident).
pub(crate) fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// CPU seconds (user + system, all threads) process `pid` has used.
pub(crate) fn process_cpu_seconds(pid: u32) -> Option<f64> {
    cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// CPU seconds the calling thread has used: the load generator's own cost, without whatever
/// else shares its process (an in-process gateway in tests, the caller's runtime).
pub(crate) fn thread_cpu_seconds() -> Option<f64> {
    cpu_seconds("/proc/thread-self/stat")
}

/// user + system time from a `stat` file of /proc.
fn cpu_seconds(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers,
    // starting with field 3 (state). utime and stime are fields 14 and 15.
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(ticks_to_seconds(user + system))
}

/// Clock ticks as seconds.
#[allow(
    clippy::cast_precision_loss,
    reason = "tick counts stay far below 2^52"
)]
fn ticks_to_seconds(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_SECOND
}

/// The 1-, 5- and 15-minute load averages, as /proc/loadavg shows them.
pub(crate) fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The machine the numbers were measured on.
pub(crate) fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            matches!(key.trim(), "model name" | "Model" | "cpu model")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    let memory_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| {
            meminfo.lines().find_map(|line| {
                line.strip_prefix("MemTotal:")?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
        });
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        cpu_model,
        memory_kib,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|text| text.trim().to_owned())
            .unwrap_or_default(),
        load_average_at_start: load_average().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        if !std::path::Path::new("/proc/self/status").exists() {
            return;
        }
        assert!(status_kib(std::process::id(), "VmRSS").is_some_and(|kib| kib > 0));
        assert!(thread_cpu_seconds().is_some());
        assert!(process_cpu_seconds(std::process::id()).is_some());
        assert!(load_average().is_some());
    }
}
