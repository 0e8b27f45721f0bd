#include "announce.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST_MS 2000
#define BACKOFF_MAX_MS   60000

struct announce {
	char *url, *pin, *ca_file;
	uint64_t timeout_ms;
	announce_status_fn fn;
	void *data;

	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	char *pending;       /* the JSON to deliver, NULL when delivered */
	uint64_t generation; /* bumped by each announce_post */
};

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int announce_config_check(const struct announce_config *cfg, char *err, size_t errlen)
{
	if (!cfg->url || strncmp(cfg->url, "https://", 8) != 0 || !cfg->url[8]) {
		snprintf(err, errlen,
			 "the announce URL must start with https:// (it carries the "
			 "ticket)");
		return -EINVAL;
	}
	if (strpbrk(cfg->url, " \t\r\n")) {
		snprintf(err, errlen, "the announce URL contains blanks");
		return -EINVAL;
	}
	if (!cfg->pin && !cfg->ca_file) {
		snprintf(err, errlen,
			 "an announce URL needs --announce-pin=sha256//BASE64 or "
			 "--announce-ca=FILE to check the endpoint's certificate");
		return -EINVAL;
	}
	if (cfg->pin && strncmp(cfg->pin, "sha256//", 8) != 0) {
		snprintf(err, errlen,
			 "--announce-pin expects sha256//BASE64 (the SHA-256 of the "
			 "endpoint's public key, base64)");
		return -EINVAL;
	}
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/* One POST. 0 when the endpoint answered 2xx; else a reason in `why`. */
static int post_once(struct announce *a, const char *json, long *ret_status, char *why,
		     size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	*ret_status = 0;
	if (!c) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, a->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)a->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lifeline-server");
	if (a->ca_file) {
		/* the CA given at build or boot time, and the host name in the URL */
		curl_easy_setopt(c, CURLOPT_CAINFO, a->ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	} else {
		/* the pinned key alone identifies the endpoint (a self-signed certificate) */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (a->pin) {
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, a->pin);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	*ret_status = status;
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -EIO;
	}
	if (status < 200 || status > 299) {
		snprintf(why, whylen, "the endpoint answered HTTP %ld", status);
		return -EPROTO;
	}
	return 0;
}

static void *run(void *userdata)
{
	struct announce *a = userdata;
	uint64_t delay = 0, due = 0, seen = 0;

	pthread_mutex_lock(&a->lock);
	while (!a->stopping) {
		uint64_t gen, now = mono_ms();
		char why[CURL_ERROR_SIZE + 64] = "";
		char *json;
		long status;
		int r;

		if (!a->pending || (a->generation == seen && now < due)) {
			if (!a->pending) {
				pthread_cond_wait(&a->cond, &a->lock);
			} else {
				struct timespec ts;
				uint64_t left = due - now;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += (time_t)(left / 1000);
				ts.tv_nsec += (long)(left % 1000) * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&a->cond, &a->lock, &ts);
			}
			continue;
		}
		if (a->generation != seen) {
			/* a new ticket: post it at once, backoff from the start */
			seen = a->generation;
			delay = 0;
		}
		gen = a->generation;
		json = strdup(a->pending);
		pthread_mutex_unlock(&a->lock);
		if (!json) {
			r = -ENOMEM;
			snprintf(why, sizeof(why), "out of memory");
			status = 0;
		} else {
			a->fn(a->data, ANNOUNCE_POSTING, 0, NULL, 0);
			r = post_once(a, json, &status, why, sizeof(why));
			free_secret(json);
		}
		pthread_mutex_lock(&a->lock);
		if (r == 0) {
			if (a->generation == gen) {
				free_secret(a->pending);
				a->pending = NULL;
			}
			a->fn(a->data, ANNOUNCE_SENT, status, NULL, 0);
			continue;
		}
		delay = delay ? delay * 2 : BACKOFF_FIRST_MS;
		if (delay > BACKOFF_MAX_MS) {
			delay = BACKOFF_MAX_MS;
		}
		due = mono_ms() + delay;
		a->fn(a->data, ANNOUNCE_FAILED, status, why, delay);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int announce_new(const struct announce_config *cfg, announce_status_fn fn, void *data,
		 struct announce **ret)
{
	struct announce *a = calloc(1, sizeof(*a));
	pthread_condattr_t attr;

	if (!a) {
		return -ENOMEM;
	}
	a->url = strdup(cfg->url);
	a->pin = cfg->pin ? strdup(cfg->pin) : NULL;
	a->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	a->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 10000;
	a->fn = fn;
	a->data = data;
	if (!a->url || (cfg->pin && !a->pin) || (cfg->ca_file && !a->ca_file)) {
		goto err_free;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &attr);
	pthread_condattr_destroy(&attr);
	*ret = a;
	return 0;

err_free:
	free(a->url);
	free(a->pin);
	free(a->ca_file);
	free(a);
	return -ENOMEM;
}

int announce_run(struct announce *a)
{
	int r = -pthread_create(&a->thread, NULL, run, a);

	a->running = r == 0;
	return r;
}

int announce_post(struct announce *a, const char *json)
{
	char *copy = strdup(json);

	if (!copy) {
		return -ENOMEM;
	}
	pthread_mutex_lock(&a->lock);
	free_secret(a->pending);
	a->pending = copy;
	a->generation++;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

void announce_stop(struct announce *a)
{
	if (!a) {
		return;
	}
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	if (a->running) {
		pthread_join(a->thread, NULL);
	}
	free_secret(a->pending);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a->url);
	free(a->pin);
	free(a->ca_file);
	free(a);
}
