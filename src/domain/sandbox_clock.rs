//! The sandbox clock's rule: each SANDBOX client's own time starts at real time and only
//! moves forward, by whole minutes, a bounded step at a time and a bounded distance in all.

use chrono::Duration;

/// The most one call may move a clock.
pub const MAX_STEP: Duration = Duration::days(3_660);

/// The farthest a clock may run ahead of real time.
pub const MAX_AHEAD: Duration = Duration::days(36_600);

/// How far to move a clock: the step, or why it is refused (a message naming the field).
pub fn check_advance(
    (days, hours, minutes): (i64, i64, i64),
    ahead: Duration,
) -> Result<Duration, (&'static str, String)> {
    for (field, value) in [
        ("by.days", days),
        ("by.hours", hours),
        ("by.minutes", minutes),
    ] {
        if value < 0 {
            return Err((field, "the sandbox clock only moves forward".into()));
        }
    }
    let step = [
        Duration::try_days(days),
        Duration::try_hours(hours),
        Duration::try_minutes(minutes),
    ]
    .into_iter()
    .try_fold(Duration::zero(), |total, part| total.checked_add(&part?))
    .filter(|step| *step <= MAX_STEP)
    .ok_or_else(|| ("by", format!("at most {} days a move", MAX_STEP.num_days())))?;
    if step <= Duration::zero() {
        return Err(("by", "move the clock by at least one minute".into()));
    }
    if ahead + step > MAX_AHEAD {
        return Err((
            "by",
            format!(
                "the sandbox clock may run at most {} days ahead of real time",
                MAX_AHEAD.num_days()
            ),
        ));
    }
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_forward_only_and_boundedly() {
        assert_eq!(
            check_advance((1, 2, 3), Duration::zero()),
            Ok(Duration::minutes(1563))
        );
        assert_eq!(
            check_advance((0, 0, -1), Duration::zero()).unwrap_err().0,
            "by.minutes"
        );
        assert_eq!(
            check_advance((-1, 5, 0), Duration::zero()).unwrap_err().0,
            "by.days"
        );
        assert_eq!(
            check_advance((0, 0, 0), Duration::zero()).unwrap_err().0,
            "by"
        );
        assert!(check_advance((3_661, 0, 0), Duration::zero()).is_err());
        assert!(check_advance((i64::MAX, 0, 0), Duration::zero()).is_err());
        assert!(check_advance((10, 0, 0), MAX_AHEAD - Duration::days(5)).is_err());
        assert!(check_advance((5, 0, 0), MAX_AHEAD - Duration::days(5)).is_ok());
    }
}
