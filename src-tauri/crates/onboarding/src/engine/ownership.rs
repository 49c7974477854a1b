//! Ownership by proof (DESIGN §3): Onramp adopts, retries over or deletes a resource only if
//! it can prove this plan made it. The journal's id proves it. For a create whose answer
//! was lost, a namesake proves it only if it was made while one of this plan's create calls
//! was under way (between the journal's intent record and the call's unclear answer, or the
//! longest a call can take), in the cloud's clock as measured from its `Date` headers, by
//! the identity Onramp signs in as (where the API records a creator), and carries the
//! plan's tag (where the service has tags). Anything else is a stranger: named to the user
//! and left in place.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{
    resource::{Found, Proof, Resource, Stranger},
    run::{parse_time, temporary, Run},
    Stop,
};
use crate::{
    journal::{CreateCall, Owner, Record},
    AppError, ErrorCode,
};

/// How far the cloud's clock and this computer's may disagree when no `Date` header has
/// measured it yet: five minutes, as Kerberos allows. The creator and the tag are checked
/// too, so a desktop further off gets a stranger's message, never a wrong adoption.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// The margin around a measured difference: `Date` has one-second resolution, and the
/// answer took some time to arrive.
const MEASURED_MARGIN: Duration = Duration::from_secs(2);
/// The longest a create call can be under way with no answer: the HTTP client gives up
/// after 60 s; twice that covers a request the service queued.
pub const CALL_DEADLINE: Duration = Duration::from_secs(120);

/// The tag every database this plan makes carries (Resource Controller attaches it at
/// create); Global Search reads it back.
pub fn plan_tag(plan_id: &str) -> String {
    format!("onramp-plan:{plan_id}")
}

/// When, in the cloud's clock, a resource made by one of `creates` can have been made.
/// `offset` is the cloud's clock minus this computer's; `margin` how sure that is.
pub(crate) fn windows(
    creates: &[CreateCall],
    offset: chrono::Duration,
    margin: chrono::Duration,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let deadline = chrono::Duration::from_std(CALL_DEADLINE).unwrap_or(chrono::Duration::zero());
    creates
        .iter()
        .filter_map(|call| {
            let asked = parse_time(&call.asked_at)?;
            let answered = call
                .answered_at
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(asked + deadline);
            Some((asked + offset - margin, answered + offset + margin))
        })
        .collect()
}

/// What the facts a look returned say, before the tag is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Ours,
    /// Ours if it carries the plan's tag.
    IfTagged,
    /// Not this plan's, and why, in the user's words.
    NotOurs(String),
}

/// The rule itself, on the facts alone: `asked` are the windows in which this plan's create
/// calls could make something (see [`windows`]), `me` the identity Onramp signs in as.
pub(crate) fn judge(
    found: &Found,
    proof: Proof,
    asked: &[(DateTime<Utc>, DateTime<Utc>)],
    me: &str,
) -> Verdict {
    if let Some(why) = &found.mismatch {
        return Verdict::NotOurs(why.clone());
    }
    if asked.is_empty() {
        return Verdict::NotOurs("it was already there when this plan looked for it".into());
    }
    match found.created_at.as_deref().map(parse_time) {
        Some(Some(made)) if !asked.iter().any(|(from, to)| *from <= made && made <= *to) => {
            return Verdict::NotOurs(format!(
                "it was made at {}, when no create of this plan was under way",
                made.format("%Y-%m-%d %H:%M:%S UTC")
            ))
        }
        Some(Some(_)) => {}
        _ if proof.time => {
            return Verdict::NotOurs("the cloud does not say when it was made".into())
        }
        _ => {}
    }
    if proof.creator {
        match found.created_by.as_deref() {
            Some(by) if by == me => {}
            Some(by) => {
                return Verdict::NotOurs(format!(
                    "it was made by {by}, not by the identity Onramp signs in as ({me})"
                ))
            }
            None => return Verdict::NotOurs("the cloud does not say who made it".into()),
        }
    }
    if proof.tag {
        Verdict::IfTagged
    } else {
        Verdict::Ours
    }
}

/// How a step came by its resource.
pub(crate) struct Obtained {
    pub found: Found,
    pub owner: Owner,
}

/// A stranger under the step's name, as apply reports it: at the field, named, with the
/// way out.
fn conflict(kind: &dyn Resource, found: &Found, why: &str) -> AppError {
    let made = found
        .created_at
        .as_deref()
        .map(|t| format!(", made {t}"))
        .unwrap_or_default();
    AppError::new(
        ErrorCode::Conflict,
        format!(
            "A {} named '{}' already exists (id {}{made}) and this plan did not make it: {why}. Onramp leaves it alone.",
            kind.noun(),
            found.name,
            found.id
        ),
    )
    .at(kind.field())
    .hint(format!(
        "Give the {} another name in the plan, then apply again.",
        kind.noun()
    ))
}

impl Run {
    /// The identity Onramp signs in as (from the token's claims: no extra call).
    async fn me(&self) -> Result<String, Stop> {
        Ok(self
            .ctx
            .cloud
            .identity()
            .await
            .map_err(AppError::from_cloud)?
            .iam_id)
    }

    /// Whether `found` is this plan's, reading its tags if the facts leave that open.
    pub(crate) async fn prove(&self, kind: &dyn Resource, found: &Found) -> Result<Verdict, Stop> {
        let (offset, margin) = match self.ctx.cloud.clock_offset_ms() {
            Some(ms) => (
                chrono::Duration::milliseconds(ms),
                chrono::Duration::from_std(MEASURED_MARGIN).unwrap_or(chrono::Duration::zero()),
            ),
            None => (
                chrono::Duration::zero(),
                chrono::Duration::from_std(CLOCK_SKEW).unwrap_or(chrono::Duration::zero()),
            ),
        };
        let asked = windows(&self.state().step(kind.step()).creates, offset, margin);
        let me = if kind.proof().creator {
            self.me().await?
        } else {
            String::new()
        };
        match judge(found, kind.proof(), &asked, &me) {
            Verdict::IfTagged => {
                let tag = plan_tag(&self.plan().id);
                Ok(match &found.crn {
                    Some(crn) if self.carries_tag(kind, crn, &tag).await? => Verdict::Ours,
                    _ => Verdict::NotOurs(format!("it does not carry this plan's tag {tag}")),
                })
            }
            other => Ok(other),
        }
    }

    /// Whether Global Search shows `tag` on `crn`, allowing the service time to catch up
    /// with a tag attached moments ago (it is eventually consistent).
    async fn carries_tag(&self, kind: &dyn Resource, crn: &str, tag: &str) -> Result<bool, Stop> {
        let search = self
            .ctx
            .cloud
            .global_search()
            .map_err(AppError::from_cloud)?;
        let started = Instant::now();
        let limit = self.ctx.timing.tag_visibility;
        loop {
            let item = self.call(search.search_by_crn(crn)).await?;
            if item.is_some_and(|i| i.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))) {
                return Ok(true);
            }
            if started.elapsed() >= limit {
                return Ok(false);
            }
            self.say(
                kind.step(),
                format!(
                    "Waiting for Global Search to show the {}'s tags",
                    kind.noun()
                ),
            );
            self.pause((limit / 4).min(Duration::from_secs(3))).await?;
        }
    }

    /// Looks for the step's resource and adopts it if proved this plan's; otherwise
    /// creates it, announcing the create in the journal first. After an unclear answer it
    /// looks again before another create, so a lost answer never makes a second one.
    pub(crate) async fn obtain(&self, kind: &dyn Resource) -> Result<Obtained, Stop> {
        let step = kind.step();
        let pauses = self.ctx.timing.retry_pauses.clone();
        for attempt in 0..=pauses.len() {
            self.say(step, format!("Looking for the {}", kind.noun()));
            let mut stranger = None;
            for found in kind.look(self).await? {
                match self.prove(kind, &found).await? {
                    Verdict::Ours => {
                        return Ok(Obtained {
                            found,
                            owner: Owner::Proved,
                        })
                    }
                    Verdict::NotOurs(why) => {
                        stranger.get_or_insert((found, why));
                    }
                    Verdict::IfTagged => {}
                }
            }
            if let Some((found, why)) = stranger {
                if kind.stranger() == Stranger::UseAndKeep {
                    return Ok(Obtained {
                        found,
                        owner: Owner::Kept,
                    });
                }
                self.record(Record::Foreign {
                    step,
                    id: found.id.clone(),
                    name: found.name.clone(),
                    reason: why.clone(),
                })?;
                let error = conflict(kind, &found, &why);
                // If an earlier create of ours may have happened, teardown must still look.
                return Err(if self.state().step(step).maybe_made() {
                    Stop::Failed(error)
                } else {
                    Stop::Refused(error)
                });
            }
            self.record(Record::CreateIntent { step })?;
            self.say(step, format!("Creating the {}", kind.noun()));
            match kind.create(self).await? {
                Ok(made) => {
                    return Ok(Obtained {
                        found: made,
                        owner: Owner::Made,
                    })
                }
                Err(e) if unclear(&e) && attempt < pauses.len() => {
                    self.record(Record::CreateUnclear {
                        step,
                        message: e.to_string(),
                    })?;
                    self.say(
                        step,
                        format!("The create did not get a clear answer ({e}); checking whether it happened"),
                    );
                    self.pause(pauses[attempt]).await?;
                }
                // It may have happened: teardown will look for it.
                Err(e) if unclear(&e) => {
                    self.record(Record::CreateUnclear {
                        step,
                        message: e.to_string(),
                    })?;
                    return Err(Stop::Failed(kind.refusal(e)));
                }
                Err(e) => return Err(Stop::Refused(kind.refusal(e))),
            }
        }
        Err(Stop::Failed(AppError::new(
            ErrorCode::Network,
            format!(
                "The cloud did not answer the {}'s create clearly after several attempts.",
                kind.noun()
            ),
        )))
    }

    /// Teardown of a step whose create may have happened but whose id the journal lacks:
    /// the id of the one proved this plan's, if any. A stranger is journalled and left.
    pub(crate) async fn find_ours(&self, kind: &dyn Resource) -> Result<Option<String>, Stop> {
        self.say(
            kind.step(),
            format!(
                "Looking for the {} an interrupted create may have made",
                kind.noun()
            ),
        );
        let mut stranger = None;
        for found in kind.look(self).await? {
            match self.prove(kind, &found).await? {
                Verdict::Ours => return Ok(Some(found.id)),
                Verdict::NotOurs(why) => {
                    stranger.get_or_insert((found, why));
                }
                Verdict::IfTagged => {}
            }
        }
        if let Some((found, why)) = stranger {
            self.leave(kind, &found, why)?;
        }
        Ok(None)
    }

    /// Teardown of a resource an older Onramp adopted by name alone: whether it is still
    /// proved this plan's (if the look cannot find it, the journal's id is all there is).
    pub(crate) async fn reprove(&self, kind: &dyn Resource, id: &str) -> Result<bool, Stop> {
        self.say(
            kind.step(),
            format!(
                "Checking that this plan made the {} an older Onramp adopted",
                kind.noun()
            ),
        );
        for found in kind.look(self).await? {
            if found.id != id {
                continue;
            }
            return match self.prove(kind, &found).await? {
                Verdict::NotOurs(why) => {
                    self.leave(kind, &found, why)?;
                    Ok(false)
                }
                _ => Ok(true),
            };
        }
        Ok(true)
    }

    fn leave(&self, kind: &dyn Resource, found: &Found, why: String) -> Result<(), Stop> {
        tracing::warn!(step = kind.step().as_str(), id = %found.id, "a namesake this plan did not make is left in place");
        self.record(Record::Foreign {
            step: kind.step(),
            id: found.id.clone(),
            name: found.name.clone(),
            reason: why,
        })?;
        Ok(())
    }
}

/// An answer that leaves open whether the create happened: none, a 5xx or 429, or a 409
/// (someone, perhaps this plan a moment ago, has one by that name).
fn unclear(error: &onramp_cloud::CloudError) -> bool {
    temporary(error) || error.status == Some(409)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_time(text).unwrap()
    }

    fn found(created_at: Option<&str>, created_by: Option<&str>) -> Found {
        Found {
            id: "r-1".into(),
            name: "thing".into(),
            created_at: created_at.map(str::to_owned),
            created_by: created_by.map(str::to_owned),
            ..Found::default()
        }
    }

    const ALL: Proof = Proof {
        time: true,
        creator: true,
        tag: true,
    };

    /// One create call from 10:00:00 to its unclear answer at 10:00:05, same clocks.
    fn asked() -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        windows(
            &[CreateCall {
                asked_at: "2026-12-07T10:00:00Z".into(),
                answered_at: Some("2026-12-07T10:00:05Z".into()),
            }],
            chrono::Duration::zero(),
            chrono::Duration::seconds(2),
        )
    }

    #[test]
    fn nothing_is_ours_without_a_create_call() {
        let v = judge(
            &found(Some("2026-12-07T10:00:01Z"), Some("me")),
            ALL,
            &[],
            "me",
        );
        assert!(matches!(v, Verdict::NotOurs(why) if why.contains("already there")));
    }

    #[test]
    fn only_what_was_made_while_a_call_was_under_way_can_be_ours() {
        let during = judge(
            &found(Some("2026-12-07T10:00:03Z"), Some("me")),
            ALL,
            &asked(),
            "me",
        );
        assert_eq!(during, Verdict::IfTagged, "the tag is read last");
        for outside in ["2026-12-07T09:50:00Z", "2026-12-07T10:00:30Z"] {
            let v = judge(&found(Some(outside), Some("me")), ALL, &asked(), "me");
            assert!(
                matches!(v, Verdict::NotOurs(why) if why.contains("no create of this plan")),
                "{outside}"
            );
        }
        // Within the margin of the clocks' measured difference.
        let close = judge(
            &found(Some("2026-12-07T10:00:06Z"), Some("me")),
            ALL,
            &asked(),
            "me",
        );
        assert_eq!(close, Verdict::IfTagged);
    }

    #[test]
    fn a_call_with_no_answer_is_open_until_its_deadline_and_the_clocks_offset_shifts_it() {
        let open = windows(
            &[CreateCall {
                asked_at: "2026-12-07T10:00:00Z".into(),
                answered_at: None,
            }],
            chrono::Duration::minutes(60),
            chrono::Duration::seconds(2),
        );
        // The cloud's clock is an hour ahead of this computer's.
        assert_eq!(open[0].0, at("2026-12-07T10:59:58Z"));
        assert_eq!(open[0].1, at("2026-12-07T11:02:02Z"));
    }

    #[test]
    fn another_identity_or_no_creator_is_not_proof() {
        let other = judge(
            &found(Some("2026-12-07T10:00:01Z"), Some("IBMid-colleague")),
            ALL,
            &asked(),
            "IBMid-me",
        );
        assert!(matches!(other, Verdict::NotOurs(why) if why.contains("IBMid-colleague")));
        let unknown = judge(
            &found(Some("2026-12-07T10:00:01Z"), None),
            ALL,
            &asked(),
            "IBMid-me",
        );
        assert!(matches!(unknown, Verdict::NotOurs(_)));
    }

    #[test]
    fn a_mismatch_alone_decides() {
        let mut f = found(Some("2026-12-07T10:00:01Z"), Some("me"));
        f.mismatch = Some("another public key".into());
        assert_eq!(
            judge(&f, ALL, &asked(), "me"),
            Verdict::NotOurs("another public key".into())
        );
    }

    #[test]
    fn without_a_creation_time_the_look_before_the_call_is_the_proof() {
        let rule = Proof {
            time: false,
            creator: false,
            tag: false,
        };
        assert_eq!(
            judge(&found(None, None), rule, &asked(), "me"),
            Verdict::Ours
        );
        let timed = Proof { time: true, ..rule };
        assert!(matches!(
            judge(&found(None, None), timed, &asked(), "me"),
            Verdict::NotOurs(_)
        ));
    }

    #[test]
    fn the_plan_tag_is_lowercase_and_names_the_plan() {
        assert_eq!(plan_tag("3f2a9c1e-7b4d"), "onramp-plan:3f2a9c1e-7b4d");
    }
}
