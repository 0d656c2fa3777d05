//! Transparent huge pages for the few very large vectors a reader fills.
//!
//! A vector of a million complaints is 88 MB of fresh memory (112 MB when this was measured).
//! The kernel backs fresh memory one 4 KiB page at a time, on the first write to each page:
//! 27,000 page faults for that vector, which `perf` showed as a tenth of the time of reading a
//! CSV file whole (1 thread, criterion's `read/complaints_csv`). Advised with `MADV_HUGEPAGE`,
//! the kernel backs it with 2 MiB pages where it can: about fifty faults. Measured in one run,
//! old and new interleaved, 3 rounds: that read's median sample 387-394 -> 352-355 ms;
//! `streetrank score --assignments` on the city preset, "read complaints" 0.248 -> 0.222 s
//! (median of 7).
//!
//! On the project's VMs two or three samples in ten are slower instead (up to 550 ms, with
//! the time in the kernel zeroing huge pages). These VMs hand free memory back to their host
//! in 8 MiB blocks (free page reporting, `page_reporting_order=11` on the kernel command
//! line), and a block taken back costs a host fault per page when it is used again; right
//! after the whole of memory had been written once, a run of ten samples had none slower.
//!
//! The advice only changes how the kernel backs the pages, never their contents, and is
//! ignored where transparent huge pages are disabled (or off Linux, where this does nothing).

/// Vectors smaller than this are not advised: the system call would cost more than the
/// faults it saves, and a huge page would round a small vector's memory up.
const MIN_BYTES: usize = 8 << 20;

/// Advises the kernel to back `v`'s spare capacity with huge pages. Call it right after
/// reserving, before the vector is filled: pages already touched are not backed again at once
/// (only the kernel's background `khugepaged` may merge them later).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn advise_huge_pages<T>(v: &mut Vec<T>) {
    let bytes = v.capacity().saturating_mul(size_of::<T>());
    if bytes < MIN_BYTES {
        return;
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let Ok(page) = usize::try_from(page) else {
        return;
    };
    if !page.is_power_of_two() {
        return;
    }
    let base = v.as_mut_ptr().cast::<u8>();
    // Only whole pages inside the allocation: the pages at its two ends may hold other data.
    let head = base.align_offset(page);
    let len = bytes.saturating_sub(head) / page * page;
    if head >= bytes || len == 0 {
        return;
    }
    // SAFETY: `[base + head, base + head + len)` lies inside the vector's allocation (its
    // capacity in bytes, rounded inwards to whole pages), which `v` borrows exclusively.
    // MADV_HUGEPAGE never changes the contents of those pages: it marks the address range
    // (splitting its mapping) for huge pages, a mark that stays with the addresses after the
    // vector is freed and may make later allocations there use huge pages too (speed and
    // memory use, never contents). Its failure (transparent huge pages compiled out, say) is
    // harmless, so its result is not read.
    unsafe {
        libc::madvise(
            base.wrapping_add(head).cast::<libc::c_void>(),
            len,
            libc::MADV_HUGEPAGE,
        );
    }
}

/// Does nothing: huge page advice is for Linux.
#[cfg(not(target_os = "linux"))]
pub(crate) fn advise_huge_pages<T>(_v: &mut Vec<T>) {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn advised_vectors_keep_their_contents_and_capacity() {
        // Small (not advised), large with an odd element size (advised, ends not on pages),
        // and empty.
        for n in [0, 1_000, 3_000_001] {
            let mut v: Vec<[u8; 3]> = Vec::with_capacity(n);
            let cap = v.capacity();
            advise_huge_pages(&mut v);
            assert_eq!(v.capacity(), cap);
            v.extend((0..n).map(|i| [i as u8, (i >> 8) as u8, (i >> 16) as u8]));
            assert!(
                v.iter()
                    .enumerate()
                    .all(|(i, x)| x[0] == i as u8 && x[2] == (i >> 16) as u8)
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_large_vector_is_advised() {
        // The kernel lists a range advised with MADV_HUGEPAGE as its own mapping with the
        // `hg` flag in /proc/self/smaps (where transparent huge pages are compiled in).
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            return;
        }
        let mut v: Vec<u64> = Vec::with_capacity(4 << 20); // 32 MiB
        advise_huge_pages(&mut v);
        // The middle of the vector, whole pages away from its ends whatever the page size.
        let middle = v.as_ptr() as usize + (16 << 20);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let mut advised = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = lo <= middle && middle < hi;
            } else if inside && line.starts_with("VmFlags:") {
                advised = line.split_whitespace().any(|f| f == "hg");
            }
        }
        assert!(advised, "the vector's pages are not advised for huge pages");
    }
}
