include $(sort $(wildcard $(BR2_EXTERNAL_BR_CRIU_PATH)/package/*/*.mk))
