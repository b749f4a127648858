//! Every parking queue, source queue and function has its alarm, and every alarm notifies the topic.

use std::collections::BTreeSet;

use crate::reading::{dimensions, reference, yaml, Reading};

#[test]
fn every_dead_letter_queue_alarms_on_its_first_visible_message() {
    for t in Reading::all() {
        let consumed = t.consumed_queues();
        // A queue no function consumes is where something is parked: the redrive targets, and
        // the invalidator's failure destination.
        let parked: Vec<&str> = t
            .local
            .queues
            .iter()
            .filter(|q| !consumed.contains(&q.logical_id))
            .map(|q| q.logical_id.as_str())
            .collect();
        for queue in &t.local.queues {
            if let Some(redrive) = &queue.redrive {
                assert!(
                    parked.contains(&redrive.dead_letter_queue.as_str()),
                    "{}: a function consumes the DLQ {}",
                    t.label,
                    redrive.dead_letter_queue
                );
            }
        }
        assert!(parked.len() >= 3, "{}: {parked:?}", t.label);
        for queue in parked {
            let name = yaml(&format!("!GetAtt {queue}.QueueName"));
            let alarms = t.alarms_on(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                &name,
            );
            assert!(
                alarms.iter().any(|a| a["Threshold"].as_f64() == Some(0.0)
                    && a["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")),
                "{}: no alarm on the first message visible in {queue}",
                t.label
            );
        }
    }
}

#[test]
fn every_consumed_queue_alarms_when_its_oldest_message_is_older_than_the_parameter() {
    for t in Reading::all() {
        let consumed = t.consumed_queues();
        // Intake, drop-in, process, reanalyse, analytics, recordings, webhook and erasure.
        assert_eq!(consumed.len(), 8, "{}: {consumed:?}", t.label);
        for queue in consumed {
            let name = yaml(&format!("!GetAtt {queue}.QueueName"));
            let alarms = t.alarms_on(
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                "QueueName",
                &name,
            );
            assert!(
                alarms.iter().any(|a| reference(&a["Threshold"]).as_deref()
                    == Some("QueueAgeAlarmSeconds")
                    && a["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")),
                "{}: no age alarm over QueueAgeAlarmSeconds on {queue}",
                t.label
            );
        }
    }
}

#[test]
fn every_function_alarms_on_any_error_and_any_throttle() {
    for t in Reading::all() {
        assert!(t.local.functions.len() >= 6, "{}", t.label);
        for function in &t.local.functions {
            let name = yaml(&format!("!Ref {}", function.logical_id));
            for metric in ["Errors", "Throttles"] {
                let alarms = t.alarms_on("AWS/Lambda", metric, "FunctionName", &name);
                assert!(
                    alarms.iter().any(|a| a["Threshold"].as_f64() == Some(0.0)
                        && a["Statistic"].as_str() == Some("Sum")
                        && a["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")),
                    "{}: no {metric} alarm on {}",
                    t.label,
                    function.logical_id
                );
            }
        }
    }
}

#[test]
fn every_alarm_notifies_the_alarm_topic_and_watches_only_resources_that_exist() {
    for t in Reading::all() {
        let topic = t.resource("AlarmTopic").expect("AlarmTopic");
        assert_eq!(topic["Type"].as_str(), Some("AWS::SNS::Topic"));
        let alarms = t.alarms();
        assert!(alarms.len() > 10, "{}", t.label);
        for (id, props) in alarms {
            for actions in ["AlarmActions", "OKActions"] {
                assert_eq!(
                    props[actions],
                    yaml("[!Ref AlarmTopic]"),
                    "{}: {id}.{actions}",
                    t.label
                );
            }
            let mut referenced = BTreeSet::new();
            t.referenced_resources(props, &mut referenced);
            for name in referenced {
                let is_parameter =
                    t.local.parameters.contains_key(&name) || name.starts_with("AWS::");
                assert!(
                    is_parameter || t.resource(&name).is_some(),
                    "{}: {id} refers to {name}, which this parameter set does not create",
                    t.label
                );
            }
        }
    }
}

#[test]
fn the_alarm_email_is_subscribed_exactly_when_an_address_is_given() {
    let subscriptions = |t: &Reading| {
        t.resources("AWS::SNS::Subscription")
            .into_iter()
            .filter(|(_, p)| {
                p["Protocol"].as_str() == Some("email")
                    && reference(&p["TopicArn"]).as_deref() == Some("AlarmTopic")
                    && reference(&p["Endpoint"]).as_deref() == Some("AlarmEmail")
            })
            .count()
    };
    assert_eq!(subscriptions(&Reading::of(&[])), 0);
    assert_eq!(
        subscriptions(&Reading::of(&[("AlarmEmail", "oncall@example.com")])),
        1
    );
}

#[test]
fn the_pipeline_alarms_read_the_http_apis_5xx_rate_and_the_aggregate_functions_p95() {
    let t = Reading::of(&[]);
    let alarms = t.alarms();
    let p95 = t.alarms_on(
        "callscope",
        "EndToEndLatency",
        "function",
        &yaml("aggregate"),
    );
    assert!(
        p95.iter()
            .any(|a| a["ExtendedStatistic"].as_str() == Some("p95")
                && reference(&a["Threshold"]).as_deref() == Some("EndToEndP95AlarmMs")),
        "no p95 alarm on callscope/EndToEndLatency function=aggregate over EndToEndP95AlarmMs"
    );
    let rate = alarms
        .iter()
        .find_map(|(_, p)| {
            let metrics = p.get("Metrics")?.as_sequence()?;
            let stat = |name: &str| {
                metrics.iter().find_map(|m| {
                    let metric = m.get("MetricStat")?.get("Metric")?;
                    (metric["Namespace"].as_str() == Some("AWS/ApiGateway")
                        && metric["MetricName"].as_str() == Some(name)
                        && dimensions(metric).get("ApiId") == Some(&yaml("!Ref HttpApi")))
                    .then(|| m["Id"].as_str().expect("an Id").to_owned())
                })
            };
            let (errors, requests) = (stat("5xx")?, stat("Count")?);
            let returned: Vec<&str> = metrics
                .iter()
                .filter(|m| m["ReturnData"].as_bool() == Some(true))
                .filter_map(|m| m.get("Expression")?.as_str())
                .collect();
            let [expression] = returned.as_slice() else {
                return None;
            };
            (expression.contains(&errors) && expression.contains(&format!("/ {requests}")))
                .then_some(p)
        })
        .expect("an alarm whose returned expression divides the HTTP API's 5xx by its Count");
    assert_eq!(
        reference(&rate["Threshold"]).as_deref(),
        Some("Http5xxAlarmPercent")
    );
}
