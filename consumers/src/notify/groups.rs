//! Draining a stream in groups: at most `max` items, or what arrived within `wait` of
//! the group's first item, whichever comes first.
//!
//! The channel workers record send outcomes this way. Under load a group is large (one
//! statement and one commit for many outcomes); when sends finish one by one, an outcome
//! waits at most `wait` for its record.

use std::time::Duration;

use futures::{Stream, StreamExt};

/// Calls `each` with every group of items from `items`, in arrival order, until the
/// stream ends; the last group may be smaller.
pub async fn for_each_group<S, T, F, Fut>(items: S, max: usize, wait: Duration, mut each: F)
where
    S: Stream<Item = T>,
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let max = max.max(1);
    let mut items = std::pin::pin!(items);
    let mut group = Vec::with_capacity(max);
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = match deadline {
            Some(at) => tokio::select! {
                item = items.next() => item,
                _ = tokio::time::sleep_until(at) => {
                    deadline = None;
                    each(std::mem::take(&mut group)).await;
                    continue;
                }
            },
            None => items.next().await,
        };
        let Some(item) = next else {
            if !group.is_empty() {
                each(group).await;
            }
            return;
        };
        if group.is_empty() {
            deadline = Some(tokio::time::Instant::now() + wait);
        }
        group.push(item);
        if group.len() >= max {
            deadline = None;
            each(std::mem::take(&mut group)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn groups_of(
        items: impl Stream<Item = u32>,
        max: usize,
        wait: Duration,
    ) -> Vec<Vec<u32>> {
        let mut seen = Vec::new();
        for_each_group(items, max, wait, |g| {
            seen.push(g);
            async {}
        })
        .await;
        seen
    }

    #[tokio::test]
    async fn ready_items_are_grouped_up_to_max() {
        let got = groups_of(futures::stream::iter(1..=7), 3, Duration::from_secs(60)).await;
        assert_eq!(got, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_item_does_not_hold_back_the_group_before_it() {
        // 1 and 2 at once, 3 after 10 s: with a 100 ms wait, 1 and 2 go without 3.
        let items =
            futures::stream::iter([(1, 0), (2, 0), (3, 10_000)]).then(|(v, ms)| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                v
            });
        let got = groups_of(items, 64, Duration::from_millis(100)).await;
        assert_eq!(got, [vec![1, 2], vec![3]]);
    }
}
